"""The workspace tests use the event log tests' databases: SQLite files and a real
PostgreSQL (required with CI=true), from tests/webhooks/conftest.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "webhooks_conftest", Path(__file__).resolve().parents[1] / "webhooks" / "conftest.py"
)
_db = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_db)

pg_server = _db.pg_server
pg_url = _db.pg_url
sqlite_url = _db.sqlite_url
db_url = _db.db_url
