"""Team performance: who sells, how fast customers pay, and what is still owed."""

from linksplus.ui import performance_view
from linksplus.ui.context import page_context

performance_view.render(page_context("performance"))
