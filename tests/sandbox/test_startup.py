"""Starting the sandbox from the command line: what it prints and what it then accepts."""

from __future__ import annotations

import re

import requests

from linksplus.devserver import ServerProcess, free_port
from linksplus.webhooks.signing import decode_secret


def start(tmp_path, *args: str, env: dict[str, str]) -> tuple[ServerProcess, str, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "sandbox.log"
    proc = ServerProcess(
        ["sandbox", "--port", str(port), "--data", "empty", *args],
        env=env,
        health_url=f"{url}/_sandbox/health",
        log_path=log,
    ).start()
    return proc, url, log.read_text()


def test_without_a_key_one_is_made_printed_and_required(tmp_path):
    proc, url, output = start(
        tmp_path,
        "--webhook-url",
        "http://127.0.0.1:9/hooks",
        env={"LINKSPLUS_SANDBOX_API_KEY": "", "LINKSPLUS_WEBHOOK_SECRET": ""},
    )
    try:
        key = re.search(r"API key: (skey_test_[0-9a-f]{24})\n", output)
        assert key, output
        assert f"listening on {url}" in output
        secret = re.search(r"Webhook signing secret: (\S+)\n", output)
        assert secret and decode_secret(secret.group(1))
        assert (
            requests.get(f"{url}/external/links", auth=(key.group(1), ""), timeout=10).status_code
            == 200
        )
        assert requests.get(f"{url}/external/links", timeout=10).status_code == 401
    finally:
        proc.stop()


def test_a_given_key_is_used_but_not_printed_in_full(tmp_path):
    key = "skey_test_given_key_abcd1234"
    proc, url, output = start(tmp_path, "--api-key", key, env={"LINKSPLUS_WEBHOOK_SECRET": ""})
    try:
        assert key not in output and "1234" in output
        assert "Webhook signing secret" not in output  # no webhook, no secret needed
        assert (
            requests.get(
                f"{url}/external/links", headers={"Authorization": key}, timeout=10
            ).status_code
            == 200
        )
    finally:
        proc.stop()


def test_idempotency_off_from_the_command_line_survives_a_reset(tmp_path):
    key = "skey_test_strict_sandbox_key"
    proc, url, output = start(
        tmp_path, "--api-key", key, "--idempotency", "off", env={"LINKSPLUS_WEBHOOK_SECRET": ""}
    )
    try:
        assert "Idempotency-Key on creates: ignored" in output
        requests.post(f"{url}/_sandbox/reset", json={"data": "empty"}, timeout=10)
        assert requests.get(f"{url}/_sandbox/idempotency", timeout=10).json() == {
            "idempotency": "off"
        }
        seeded = requests.post(
            f"{url}/_sandbox/teams/5/links/seed", json={"count": 0}, timeout=10
        ).json()
        body = {"template_id": seeded["template_id"], "team_id": 5, "name": "x", "amount": 50000}
        headers = {"Authorization": key, "Idempotency-Key": "same"}
        ids = {
            requests.post(f"{url}/external/links", json=body, headers=headers, timeout=10).json()[
                "id"
            ]
            for _ in range(2)
        }
        assert len(ids) == 2
    finally:
        proc.stop()
