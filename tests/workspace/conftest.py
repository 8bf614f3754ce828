"""The workspace tests use the event log tests' databases: SQLite files and a real
PostgreSQL (required with CI=true), from tests/webhooks/conftest.py."""

from webhooks.conftest import db_url, pg_server, pg_url, sqlite_url  # noqa: F401
