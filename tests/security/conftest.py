"""Fixtures of the login tests (login_app.py): the app under AppTest with a browser's
request, a users file, and the app's secrets."""

from login_app import app_secrets, new_session, request_from_browser, users_file  # noqa: F401
