"""Which pages a user gets, as `st.Page` objects, and the sidebar around them."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from linksplus.console import users as u
from linksplus.i18n import N_, _

PAGE_FILES: dict[str, tuple[str, str, str]] = {
    # key: (file, title, icon); titles are translated where they are shown
    u.LINKS: ("pages/links.py", N_("Links"), ":material/link:"),
    u.TEMPLATES: ("pages/templates.py", N_("Templates"), ":material/dashboard_customize:"),
    u.CREATE: ("pages/create_link.py", N_("Create link"), ":material/add_link:"),
    u.BULK: ("pages/bulk_create.py", N_("Bulk create"), ":material/upload_file:"),
    u.PAYMENTS: ("pages/payments.py", N_("Payments"), ":material/payments:"),
    u.PERFORMANCE: (
        "pages/team_performance.py",
        N_("Team performance"),
        ":material/leaderboard:",
    ),
    u.MY_SETTINGS: ("pages/my_settings.py", N_("My settings"), ":material/notifications:"),
    u.WEBHOOKS: ("pages/webhook_log.py", N_("Webhook log"), ":material/webhook:"),
    u.SETTINGS: ("pages/settings.py", N_("Settings"), ":material/settings:"),
    u.AUDIT: ("pages/audit_log.py", N_("Audit log"), ":material/manage_search:"),
}
# The pages of the sidebar's Admin section.
ADMIN_PAGES = (u.WEBHOOKS, u.SETTINGS, u.AUDIT)
ROLE_TITLES = {"sales": N_("Sales"), "manager": N_("Manager"), "admin": N_("Admin")}


def role_title(role: str | None) -> str:
    """A role's name as the sidebar shows it, in the current language."""
    return _(ROLE_TITLES[role]) if role in ROLE_TITLES else ""


# The Links page is the app's root ("/"); its own name answers too, sending the browser
# to the root with the same query ("/links?view=team" is "/?view=team"). Streamlit tells
# pages apart by their URL path, so the root page's own must differ from "links".
ROOT_URL_PATH = "home"


def _links_by_name() -> None:
    st.switch_page(page(u.LINKS), query_params=st.query_params.to_dict())


def page(key: str) -> st.Page:
    """The navigation's page `key` (``users.LINKS``...), as `st.navigation` registers it:
    the one object to give `st.switch_page` and `st.page_link` too."""
    file, title, icon = PAGE_FILES[key]
    root = {"default": True, "url_path": ROOT_URL_PATH} if key == u.LINKS else {}
    return st.Page(file, title=_(title), icon=icon, **root)


def pages_for_user(user: u.UserRecord) -> dict[str, list[st.Page]]:
    """The navigation for `user`'s role: pages left out cannot be opened, by URL either."""
    keys = u.pages_for(user.roles)
    work = [page(k) for k in keys if k not in ADMIN_PAGES]
    if u.LINKS in keys:
        work.append(
            st.Page(_links_by_name, title=_("Links"), url_path="links", visibility="hidden")
        )
    admin = [page(k) for k in keys if k in ADMIN_PAGES]
    # The sections' names are also their keys: translated, like the page titles.
    return {_("Sales"): work, _("Admin"): admin} if admin else {_("Sales"): work}


def page_url_paths() -> set[str]:
    """The URL path of every page of the app (whoever may open it)."""
    return {Path(file).stem for file, _title, _icon in PAGE_FILES.values()}
