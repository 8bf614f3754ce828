"""The reader's timezone: a name made safe to use, and local days as UTC intervals."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

DEFAULT_TZ = "Asia/Bangkok"


def zone(name: str | None) -> ZoneInfo:
    """The timezone called `name`, or Asia/Bangkok when it is empty or unknown."""
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def local_iso(moments: pd.Series, tz: str | None) -> pd.Series:
    """Moments as ISO 8601 text in `tz` to the second ("2026-12-07T21:41:23+07:00"), as
    every CSV writes them."""
    when = pd.to_datetime(moments, utc=True).dt.tz_convert(zone(tz)).dt.floor("s")
    return when.map(lambda t: t.isoformat() if not pd.isna(t) else "")


def day_bounds(
    day_from: date | None, day_to: date | None, tz: str | None
) -> tuple[datetime | None, datetime | None]:
    """Inclusive local days as a UTC half-open interval ``[start, end)``."""
    z = zone(tz)
    start = datetime.combine(day_from, time.min, z).astimezone(UTC) if day_from else None
    end = (
        datetime.combine(day_to + timedelta(days=1), time.min, z).astimezone(UTC)
        if day_to
        else None
    )
    return start, end
