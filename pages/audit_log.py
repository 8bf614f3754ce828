"""Audit log (admin): who did what in the console, when and from where."""

from linksplus.ui import audit_view
from linksplus.ui.context import page_context

audit_view.render(page_context("audit", needs_team=False))
