"""Payments: what the team's links brought in, per currency, live."""

from linksplus.ui import payments_view
from linksplus.ui.context import page_context

payments_view.render(page_context("payments"))
