"""Webhook log (admin): every delivery and its outcome."""

from linksplus.ui import webhook_log_view
from linksplus.ui.context import page_context

webhook_log_view.webhook_log(page_context("webhooks", needs_team=False))
