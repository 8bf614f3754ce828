"""Settings (admin): configuration and connection checks."""

from linksplus.ui import settings_view
from linksplus.ui.context import page_context

settings_view.settings_page(page_context("settings", needs_team=False))
