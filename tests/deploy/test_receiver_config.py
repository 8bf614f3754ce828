"""`linksplus webhooks --config PATH` takes the database and the webhook secret from the
configuration file `linksplus init` writes (the receivers' systemd unit relies on it);
flags and LINKSPLUS_ variables still win over the file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from linksplus.devserver import ServerProcess, free_port
from linksplus.eventlog import EventLog
from linksplus.webhooks.signing import generate_secret, sign_headers

REPO = Path(__file__).resolve().parents[2]
BODY = {
    "event": "payment.completed",
    "link_id": 77,
    "payment": {"id": "chrg_cfg_1", "amount": 5_000, "currency": "thb", "status": "successful"},
    "timestamp": "2026-12-01T10:00:00Z",
}


def _config(tmp_path: Path, db_url: str, secret: str) -> Path:
    path = tmp_path / "secrets.toml"
    path.write_text(
        f'[linksplus]\napi_key = "skey_x"\neventlog_url = "{db_url}"\nwebhook_secret = "{secret}"\n'
    )
    return path


def _receiver(tmp_path: Path, *args: str, env: dict | None = None) -> tuple[ServerProcess, str]:
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LINKSPLUS_")}
    server = ServerProcess(
        ["webhooks", "--port", str(port), *args],
        health_url=f"http://127.0.0.1:{port}/healthz",
        log_path=tmp_path / f"receiver-{port}.log",
    )
    # ServerProcess adds to os.environ; LINKSPLUS_ variables of this machine must not leak.
    server.env = {**clean, **(env or {})}
    server.start()
    return server, f"http://127.0.0.1:{port}/webhooks/linksplus"


def test_the_receiver_reads_the_database_and_secret_from_the_config_file(tmp_path):
    db_url = f"sqlite:///{tmp_path}/events.db"
    secret = generate_secret()
    server, url = _receiver(tmp_path, "--config", str(_config(tmp_path, db_url, secret)))
    try:
        body = json.dumps(BODY).encode()
        unsigned = requests.post(url, data=body, timeout=10)
        assert unsigned.status_code == 401, unsigned.text
        signed = requests.post(url, data=body, headers=sign_headers(body, secret), timeout=10)
        assert signed.json() == {"status": "accepted"}
    finally:
        server.stop()
    with EventLog(db_url) as log:  # the file's database got it
        assert log.count() == 1


def test_the_environment_wins_over_the_config_file(tmp_path):
    file_db, env_db = f"sqlite:///{tmp_path}/file.db", f"sqlite:///{tmp_path}/env.db"
    env_secret = generate_secret()
    config = _config(tmp_path, file_db, generate_secret())
    server, url = _receiver(
        tmp_path,
        "--config",
        str(config),
        env={"LINKSPLUS_EVENTLOG_URL": env_db, "LINKSPLUS_WEBHOOK_SECRET": env_secret},
    )
    try:
        body = json.dumps(BODY).encode()
        signed = requests.post(url, data=body, headers=sign_headers(body, env_secret), timeout=10)
        assert signed.json() == {"status": "accepted"}
    finally:
        server.stop()
    with EventLog(env_db) as log:
        assert log.count() == 1


@pytest.mark.parametrize("content", [None, "[linksplus\nnot toml"])
def test_a_missing_or_broken_config_file_is_one_sentence(tmp_path, content):
    path = tmp_path / "secrets.toml"
    if content is not None:
        path.write_text(content)
    done = subprocess.run(
        [sys.executable, "-m", "linksplus", "webhooks", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert str(path) in done.stderr and done.stderr.strip().endswith("."), done.stderr
