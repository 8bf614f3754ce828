"""`linksplus app` starts Streamlit for real use, and refuses an unsafe configuration with
one sentence saying what to fix, before anything starts."""

from __future__ import annotations

import secrets
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from conftest import clean_env
from sqlalchemy import update

from linksplus.cli import main
from linksplus.config import Settings
from linksplus.console.users import add_first_admin, save_users
from linksplus.devserver import free_port, wait_until_healthy
from linksplus.eventlog.engine import make_engine
from linksplus.eventlog.schema import HISTORY as EVENT_LOG
from linksplus.init_config import toml_text
from linksplus.operate import private_write
from linksplus.schema_history import migrate


def _configure(folder: Path, **changes) -> Settings:
    """A safe configuration in `folder`'s .streamlit/secrets.toml, with `changes`, and an
    admin in its users file."""
    settings = Settings(
        api_base_url="http://127.0.0.1:9",  # `app` does not call Links+ before it starts
        api_key="skey_test_app_command_0001",
        eventlog_url=f"sqlite:///{folder / 'data' / 'events.db'}",
        users_file=str(folder / "data" / "users.yaml"),
        cookie_key=secrets.token_urlsafe(48),
    )
    add_first_admin(settings, username="arun", name="Arun", email="", password="long enough")
    settings = replace(settings, **changes)
    private_write(folder / ".streamlit" / "secrets.toml", toml_text(settings, "c2VjcmV0"))
    return settings


@pytest.fixture
def no_streamlit(monkeypatch):
    """Fails the test if `linksplus app` would start Streamlit."""

    def execv(*args):
        raise AssertionError(f"Streamlit was started: {args}")

    monkeypatch.setattr("os.execv", execv)


def _refusal(capsys) -> str:
    assert main(["app"]) == 1
    err = capsys.readouterr().err.strip()
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("Cannot start: ")
    return lines[0].removeprefix("Cannot start: ")


def test_no_api_key_is_refused(folder, no_streamlit, capsys):
    _configure(folder, api_key="")
    said = _refusal(capsys)
    assert "No Links+ API key is set" in said and "linksplus init" in said


def test_the_example_files_cookie_key_is_refused(folder, no_streamlit, capsys):
    _configure(folder, cookie_key="replace-with-a-long-random-secret")
    assert "published value" in _refusal(capsys)


def test_a_short_cookie_key_is_refused(folder, no_streamlit, capsys):
    _configure(folder, cookie_key="x" * 31)
    said = _refusal(capsys)
    assert "31 bytes, shorter than 32" in said and "token_urlsafe" in said


def test_an_empty_users_file_is_refused(folder, no_streamlit, capsys):
    settings = _configure(folder)
    save_users(settings.users_file, [])
    said = _refusal(capsys)
    assert "has no users" in said and "linksplus init" in said


def test_a_database_from_a_newer_release_is_refused(folder, no_streamlit, capsys):
    settings = _configure(folder)
    engine = make_engine(settings.eventlog_url)
    migrate(engine, EVENT_LOG)
    with engine.begin() as conn:
        conn.execute(update(EVENT_LOG.version_table).values(version=EVENT_LOG.version + 1))
    engine.dispose()
    said = _refusal(capsys)
    assert f"schema version {EVENT_LOG.version + 1}" in said and "Upgrade linksplus" in said


def test_a_safe_configuration_starts_streamlit_under_its_base_path(folder):
    _configure(folder)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "linksplus", "app", "--port", str(port), "--base-path", "console"],
        cwd=folder,
        env=clean_env(folder.parent),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}/console"
        wait_until_healthy(f"{base}/_stcore/health", timeout=60, proc=proc)
        # With XSRF protection on, Streamlit hands out its token cookie.
        health = requests.get(f"{base}/_stcore/health", timeout=5)
        assert "_streamlit_xsrf" in health.cookies
        assert requests.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=5).status_code != 200
        command = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        assert b"--server.enableXsrfProtection" in command
        assert command[command.index(b"--server.fileWatcherType") + 1] == b"none"
        assert command[command.index(b"--server.headless") + 1] == b"true"
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0].decode()
    assert "skey_test_app_command_0001" not in output
