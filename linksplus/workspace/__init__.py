"""The product's own records about links, kept beside the event log (same database URL).

Links+ has no owner, reminder or upload fields, so the console keeps them here: who made
each link and how, the rows of each bulk upload and their outcomes, follow-up reminders,
team settings, what each user has already seen and the language each user reads.
SQLAlchemy Core, its own tables and schema version (``ws_schema_version``), created and
migrated in place on first use.
"""

from linksplus.workspace.store import (
    HOW,
    OUTSIDE,
    AlertPrefs,
    Ownership,
    RowParams,
    Upload,
    UploadRow,
    UserPrefs,
    Workspace,
)

__all__ = [
    "HOW",
    "OUTSIDE",
    "AlertPrefs",
    "Ownership",
    "RowParams",
    "Upload",
    "UploadRow",
    "UserPrefs",
    "Workspace",
]
