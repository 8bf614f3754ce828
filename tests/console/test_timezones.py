"""The reader's timezone and local days as UTC intervals."""

from __future__ import annotations

from datetime import UTC, date, datetime

from linksplus.console.timezones import DEFAULT_TZ, day_bounds, zone


def test_an_empty_or_unknown_name_is_bangkok():
    assert zone("Europe/Paris").key == "Europe/Paris"
    for name in (None, "", "Mars/Olympus_Mons", "../../etc/passwd"):
        assert zone(name).key == DEFAULT_TZ == "Asia/Bangkok"


def test_local_days_are_a_half_open_utc_interval():
    # Bangkok is UTC+7 all year: 14-15 Feb there is 13 Feb 17:00 to 15 Feb 17:00 UTC.
    start, end = day_bounds(date(2026, 2, 14), date(2026, 2, 15), "Asia/Bangkok")
    assert start == datetime(2026, 2, 13, 17, 0, tzinfo=UTC)
    assert end == datetime(2026, 2, 15, 17, 0, tzinfo=UTC)
    # A day across a daylight-saving change is 23 hours long.
    start, end = day_bounds(date(2026, 3, 29), date(2026, 3, 29), "Europe/Paris")
    assert (start, end) == (
        datetime(2026, 3, 28, 23, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 22, 0, tzinfo=UTC),
    )


def test_a_missing_day_leaves_that_side_open():
    assert day_bounds(None, None, None) == (None, None)
    start, end = day_bounds(None, date(2026, 2, 14), None)
    assert start is None and end == datetime(2026, 2, 14, 17, 0, tzinfo=UTC)
