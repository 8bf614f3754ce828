"""The shared `Workspace` (the console's own records) for the configured database."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from linksplus.i18n import _
from linksplus.ui.settings import current_settings
from linksplus.workspace import Workspace


class WorkspaceUnavailable(RuntimeError):
    """The console's records cannot be opened; the message is a sentence."""


@st.cache_resource(show_spinner=False)
def _workspace(url: str) -> Workspace:
    return Workspace(url)


def workspace() -> Workspace:
    """The console's records in `eventlog_url`'s database; WorkspaceUnavailable when not."""
    try:
        return _workspace(current_settings().eventlog_url)
    except Exception as exc:
        raise WorkspaceUnavailable(
            _(
                "The console's own records (who made each link, uploads) could not be opened. "
                "Ask an admin to check `eventlog_url` in Settings ({error})."
            ).format(error=type(exc).__name__)
        ) from exc


# Short-lived so other users' new links appear soon; this session's own records clear it
# (`forget_owners`), so a link just made is in My links on the very next page.
@st.cache_data(ttl=5, show_spinner=False, max_entries=32)
def _owners(url: str, team_id: int) -> pd.DataFrame:
    return _workspace(url).owners_frame(team_id)


def owners(team_id: int) -> pd.DataFrame:
    """Who made each of `team_id`'s links made in the console (cached a few seconds)."""
    workspace()  # a sentence (WorkspaceUnavailable) when the records cannot be opened
    return _owners(current_settings().eventlog_url, int(team_id))


def forget_owners() -> None:
    """Drop the cached owners after this session recorded a link, a bulk run or a reminder."""
    _owners.clear()
