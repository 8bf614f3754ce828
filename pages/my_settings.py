"""My settings (every role): how I am told when my links are paid, and my password and
two-step login."""

from linksplus.ui import alerts_view, password_view, totp_view
from linksplus.ui.context import page_context

ctx = page_context("my_settings", needs_team=False)
alerts_view.render(ctx)
password_view.own_password(ctx.settings, ctx.user)
totp_view.own_section(ctx.settings, ctx.user)
