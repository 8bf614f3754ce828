"""Create link: a form for a new payment link from one of the team's templates."""

from linksplus.ui import create_view
from linksplus.ui.context import page_context

create_view.render(page_context("create"))
