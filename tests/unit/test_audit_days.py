"""The `audit_days` setting: how long the audit log keeps a row (issue 19 §3)."""

from __future__ import annotations

import pytest

from linksplus.config import Settings


def test_audit_days_is_400_unless_set():
    assert Settings.load({}, {}).audit_keep_days == 400
    assert Settings.load({"linksplus": {"audit_days": 90}}, {}).audit_keep_days == 90
    assert Settings.load({}, {"LINKSPLUS_AUDIT_DAYS": "30"}).audit_keep_days == 30


@pytest.mark.parametrize("value", ["0", "-5", "a year", "1.5"])
def test_a_bad_audit_days_is_named_in_one_sentence(value):
    settings = Settings.load({}, {"LINKSPLUS_AUDIT_DAYS": value})
    assert settings.audit_keep_days is None
    (problem,) = [p for p in settings.problems() if "audit_days" in p]
    assert repr(value) in problem and "whole number of days" in problem
