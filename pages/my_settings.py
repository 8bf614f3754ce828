"""My settings (every role): how I am told when my links are paid."""

from linksplus.ui import alerts_view
from linksplus.ui.context import page_context

alerts_view.render(page_context("my_settings", needs_team=False))
