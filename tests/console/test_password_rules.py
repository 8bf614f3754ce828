"""The password rules: long enough, not the username, not a common password from the list
shipped in the package; each refusal one sentence."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from linksplus.console.password_rules import (
    common_passwords,
    one_time_password,
    password_problem,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("password", "username", "says"),
    [
        ("short9", "malee", "at least 10 characters"),
        ("Malee.Kaew", "malee.kaew", "username"),
        ("MALEEKAEW!", "maleekaew", "username"),
        ("malee2024!!", "malee", "username"),
        ("password123", "malee", "most common"),
        ("1234567890", "malee", "most common"),
        ("qwertyuiop", "malee", "most common"),
        ("Football1!", "", "most common"),  # a listed one with a mark added
        ("a long own phrase", "malee", None),
        ("somchai and malee 7", "malee", None),  # the name inside a long phrase is fine
    ],
)
def test_the_rules(password, username, says):
    problem = password_problem(password, username)
    if says is None:
        assert problem is None
    else:
        assert problem is not None and says in problem
        assert problem.endswith(".") and problem.count(". ") == 0  # one sentence


def test_a_few_thousand_common_passwords_are_shipped_in_the_wheel():
    listed = common_passwords()
    assert len(listed) > 3000 and {"password", "123456", "iloveyou"} <= listed
    with (ROOT / "pyproject.toml").open("rb") as f:
        data = tomllib.load(f)["tool"]["setuptools"]["package-data"]["linksplus"]
    assert "common_passwords.txt" in data


def test_one_time_passwords_pass_the_rules_and_differ():
    made = {one_time_password() for _ in range(20)}
    assert len(made) == 20 and all(password_problem(p) is None for p in made)
