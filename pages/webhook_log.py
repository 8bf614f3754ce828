"""Webhook log (admin): every delivery and its outcome."""

from linksplus.ui import admin_views
from linksplus.ui.context import page_context

admin_views.webhook_log(page_context("webhooks", needs_team=False))
