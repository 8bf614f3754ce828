"""Users (admin): who may log in, with their role and teams."""

from linksplus.ui import users_view
from linksplus.ui.context import page_context

users_view.users_page(page_context("users", needs_team=False))
