"""Which pages a user gets, as `st.Page` objects, and the sidebar around them."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from linksplus.console import users as u

PAGE_FILES: dict[str, tuple[str, str, str]] = {
    # key: (file, title, icon)
    u.LINKS: ("pages/links.py", "Links", ":material/link:"),
    u.TEMPLATES: ("pages/templates.py", "Templates", ":material/dashboard_customize:"),
    u.CREATE: ("pages/create_link.py", "Create link", ":material/add_link:"),
    u.BULK: ("pages/bulk_create.py", "Bulk create", ":material/upload_file:"),
    u.PAYMENTS: ("pages/payments.py", "Payments", ":material/payments:"),
    u.PERFORMANCE: ("pages/team_performance.py", "Team performance", ":material/leaderboard:"),
    u.WEBHOOKS: ("pages/webhook_log.py", "Webhook log", ":material/webhook:"),
    u.SETTINGS: ("pages/settings.py", "Settings", ":material/settings:"),
}


def pages_for_user(user: u.UserRecord) -> dict[str, list[st.Page]]:
    """The navigation for `user`'s role: pages left out cannot be opened, by URL either."""
    keys = u.pages_for(user.roles)
    work = [
        st.Page(
            PAGE_FILES[k][0], title=PAGE_FILES[k][1], icon=PAGE_FILES[k][2], default=(k == u.LINKS)
        )
        for k in keys
        if k not in (u.WEBHOOKS, u.SETTINGS)
    ]
    admin = [
        st.Page(PAGE_FILES[k][0], title=PAGE_FILES[k][1], icon=PAGE_FILES[k][2])
        for k in keys
        if k in (u.WEBHOOKS, u.SETTINGS)
    ]
    return {"Sales": work, "Admin": admin} if admin else {"Sales": work}


def page_url_paths() -> set[str]:
    """The URL path of every page of the app (whoever may open it)."""
    return {Path(file).stem for file, _, _ in PAGE_FILES.values()}
