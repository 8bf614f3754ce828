"""Templates: the team's link templates; start a new link from one."""

from linksplus.ui import templates_view
from linksplus.ui.context import page_context

templates_view.render(page_context("templates"))
