"""The shared `Workspace` (the console's own records) for the configured database."""

from __future__ import annotations

import pandas as pd

from linksplus.config import Settings
from linksplus.i18n import _
from linksplus.ui.cached import Dependency, Unavailable, cached_loader, open_or_unavailable
from linksplus.ui.settings import current_settings
from linksplus.workspace import Workspace


class WorkspaceUnavailable(Unavailable):
    """The console's records cannot be opened; the message is a sentence."""

    @staticmethod
    def sentence() -> str:
        return _(
            "The console's own records (who made each link, uploads) could not be opened. "
            "Ask an admin to check `eventlog_url` in Settings ({error})."
        )


@cached_loader(resource=True)
def _workspace(url: str) -> Workspace:
    return Workspace(url)


def workspace(settings: Settings | None = None) -> Workspace:
    """The console's records in `eventlog_url`'s database; WorkspaceUnavailable when not."""
    url = (settings or current_settings()).eventlog_url
    return open_or_unavailable(_workspace, url, WorkspaceUnavailable)


# The records live in the event log's database.
WORKSPACE = Dependency(
    "workspace_url", lambda s: s.eventlog_url, "_records", lambda s: workspace(s)
)


# Short-lived so other users' new links appear soon; this session's own records clear it
# (`forget_owners`), so a link just made is in My links on the very next page.
@cached_loader(ttl=5, max_entries=32, depends_on=(WORKSPACE,))
def _owners(team_id: int, *, workspace_url: str, _records: Workspace) -> pd.DataFrame:
    return _records.owners_frame(team_id)


def owners(team_id: int, settings: Settings | None = None) -> pd.DataFrame:
    """Who made each of `team_id`'s links made in the console (cached a few seconds);
    WorkspaceUnavailable when the records cannot be opened."""
    return _owners(team_id, settings)


def forget_owners() -> None:
    """Drop the cached owners after this session recorded a link, a bulk run or a reminder."""
    _owners.clear()
