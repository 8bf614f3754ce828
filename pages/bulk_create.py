"""Bulk create: many payment links from a CSV or Excel file, resumable."""

from linksplus.ui import bulk_view
from linksplus.ui.context import page_context

bulk_view.render(page_context("bulk"))
