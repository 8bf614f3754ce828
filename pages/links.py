"""Links: the team's payment links, filtered, shareable by URL, with a detail view."""

from linksplus.ui import links_view
from linksplus.ui.context import page_context

links_view.render(page_context("links"))
