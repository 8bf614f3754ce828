"""Fixtures of the operator's commands (`linksplus init`, `check`, `app`): a folder to run
them in, with no setting leaking in from this machine, and a way to run them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def clean_env(home: Path) -> dict[str, str]:
    """This process's environment without any LINKSPLUS_ setting, HOME moved to `home`
    (so no ~/.streamlit/secrets.toml is read) and this checkout importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKSPLUS_")}
    env.update(HOME=str(home), PYTHONPATH=str(ROOT))
    return env


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    """An empty folder, the current one, with HOME in it and no LINKSPLUS_ variables."""
    work = tmp_path / "console"
    work.mkdir()
    monkeypatch.chdir(work)
    for name in [k for k in os.environ if k.startswith("LINKSPLUS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    return work


@pytest.fixture
def linksplus(folder):
    """Run `linksplus ARGS` in `folder` as the operator would; a CompletedProcess."""

    def run(*args: str, stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "linksplus", *args],
            cwd=folder,
            env=clean_env(folder.parent),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


def init_args(sandbox, *extra: str) -> list[str]:
    """`linksplus init` by flags against the test sandbox (the key comes on stdin)."""
    return [
        "init",
        "--no-input",
        *("--api-base-url", sandbox.url, "--api-key-stdin"),
        *("--admin-username", "arun", "--admin-name", "Arun", "--admin-email", "a@example.com"),
        *extra,
    ]


@pytest.fixture
def configured(linksplus, sandbox, folder) -> Path:
    """`folder` after `linksplus init` by flags against the sandbox: its config file."""
    done = linksplus(
        *init_args(sandbox, "--admin-password-stdin"),
        stdin=f"{sandbox.api_key}\ncorrect horse battery\n",
    )
    assert done.returncode == 0, done.stderr
    return folder / ".streamlit" / "secrets.toml"
