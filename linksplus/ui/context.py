"""What every page needs: the user, their team (validated), their timezone."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from linksplus.config import Settings
from linksplus.console.timezones import DEFAULT_TZ, zone
from linksplus.console.users import (
    UserRecord,
    allowed_team,
    effective_role,
    pages_for,
    teams_for,
)
from linksplus.i18n import _
from linksplus.ui import cached_reads, language
from linksplus.ui.auth import current_user, run_app_instead
from linksplus.ui.settings import current_settings
from linksplus.ui.widgets import md_escape


@dataclass(frozen=True)
class PageContext:
    user: UserRecord
    settings: Settings
    team_id: int
    team_name: str
    teams: dict[int, str]
    tz: str


def browser_timezone() -> str:
    """The browser's timezone name, or Asia/Bangkok when unknown."""
    try:
        name = st.context.timezone
    except Exception:  # no browser (tests, bare mode)
        name = None
    return zone(name).key if name else DEFAULT_TZ


def user_teams(user: UserRecord) -> dict[int, str]:
    """The teams `user` may see, id -> name."""
    wide = user.teams == "*" or effective_role(user.roles) == "admin"
    names = cached_reads.team_names(every_team=wide)
    ids = teams_for(user, names.keys())
    return {t: names.get(t, _("Team {id}").format(id=t)) for t in ids}


def _on_team_change() -> None:
    st.session_state["team_id"] = st.session_state["team_picker"]
    st.query_params["team"] = str(st.session_state["team_picker"])


def page_context(page: str, *, needs_team: bool = True) -> PageContext:
    """The context of a run of `page` (a page key). Refuses (and stops) when the user's role
    does not offer that page, when ``?team=`` names a team the user does not belong to, or
    when the user has no team."""
    settings = current_settings()
    user = current_user(settings)
    if user is None:  # a page Streamlit ran without app.py (see auth.run_app_instead)
        run_app_instead()
        st.stop()
    language.apply(user.username)  # a page run without app.py reads in the user's language
    if page not in pages_for(user.roles):
        # st.navigation already leaves the page out; this guards a direct run anyway.
        st.error(_("This page is not available to you."), icon=":material/block:")
        st.stop()
    teams = user_teams(user)
    tz = browser_timezone()
    if not needs_team:
        return PageContext(user, settings, 0, "", teams, tz)
    if not teams:
        st.warning(
            _(
                "You are not in any team yet, so there is nothing to show. Ask an admin "
                "to add you to your team."
            ),
            icon=":material/group_off:",
        )
        st.stop()
    requested = st.query_params.get("team")
    if requested is not None and allowed_team(requested, list(teams)) is None:
        # `requested` comes from the address: escaped, like the team names.
        st.error(
            _("You do not have access to team {team}. You can see: {teams}.").format(
                team=md_escape(requested),
                teams=", ".join(md_escape(name) for name in teams.values()),
            ),
            icon=":material/block:",
        )
        if st.button(_("Open my team")):
            del st.query_params["team"]
            st.rerun()
        st.stop()
    team = allowed_team(requested, list(teams)) or st.session_state.get("team_id")
    if team not in teams:
        team = next(iter(teams))
    st.session_state["team_id"] = team
    ids = list(teams)
    if len(ids) > 1:
        st.sidebar.selectbox(
            _("Team"),
            ids,
            index=ids.index(team),
            key="team_picker",
            format_func=lambda t: teams[t],
            on_change=_on_team_change,
        )
    else:
        st.sidebar.caption(_("Team: **{team}**").format(team=md_escape(teams[team])))
    if st.query_params.get("team") != str(team):
        st.query_params["team"] = str(team)
    return PageContext(user, settings, team, teams[team], teams, tz)
