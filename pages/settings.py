"""Settings (admin): configuration and connection checks."""

from linksplus.ui import admin_views
from linksplus.ui.context import page_context

admin_views.settings_page(page_context("settings", needs_team=False))
