"""`linksplus check` prints a line per check with what to do, and exits 0 only when all
pass."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

CHECKS = (
    "configuration file",
    "API key",
    "settings",
    "connection",
    "event log",
    "workspace store",
    "users",
    "cookie key",
    "webhook receiver",
)


def _lines(done) -> dict[str, str]:
    lines = done.stdout.splitlines()
    assert len(lines) == len(CHECKS), done.stdout
    found = {}
    for line in lines:
        status, rest = line.split(None, 1)
        name = rest.split(":", 1)[0]
        found[name] = status
    assert tuple(found) == CHECKS
    return found


@pytest.fixture
def healthz():
    """A stand-in receiver whose /healthz answers `status` (200 unless changed)."""

    class Handler(BaseHTTPRequestHandler):
        status = 200

        def do_GET(self):
            self.send_response(Handler.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Handler, f"http://127.0.0.1:{server.server_address[1]}/healthz"
    server.shutdown()


def test_a_good_configuration_passes_every_check(configured, linksplus, sandbox, healthz):
    _, url = healthz
    done = linksplus("check", "--receiver-url", url)
    assert done.returncode == 0, done.stdout
    assert set(_lines(done).values()) == {"ok"}
    assert sandbox.api_key not in done.stdout + done.stderr


def test_without_a_receiver_url_it_warns_and_still_passes(configured, linksplus):
    done = linksplus("check")
    assert done.returncode == 0, done.stdout
    assert _lines(done)["webhook receiver"] == "warn"
    assert "--receiver-url" in done.stdout


def test_a_wrong_key_fails_with_the_fix(configured, linksplus):
    text = configured.read_text()
    configured.write_text(
        "\n".join(
            'api_key = "skey_test_wrong_key_7777"' if line.startswith("api_key") else line
            for line in text.splitlines()
        )
    )
    done = linksplus("check")
    assert done.returncode == 1
    assert _lines(done)["connection"] == "FAIL"
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("FAIL")]
    assert "The Links+ key was refused" in line and "Links+ dashboard" in line
    assert "skey_test_wrong_key_7777" not in done.stdout


def test_an_unhealthy_receiver_fails(configured, linksplus, healthz):
    handler, url = healthz
    handler.status = 503
    done = linksplus("check", "--receiver-url", url)
    assert done.returncode == 1
    assert _lines(done)["webhook receiver"] == "FAIL"
    assert "answered 503" in done.stdout


def test_an_old_database_fails_naming_migrate(configured, linksplus, folder):
    (folder / ".linksplus" / "events.db").unlink()
    done = linksplus("check")
    assert done.returncode == 1
    found = _lines(done)
    assert found["event log"] == found["workspace store"] == "FAIL"
    assert "run `linksplus migrate`" in done.stdout
    assert linksplus("migrate").returncode == 0
    done = linksplus("check")
    # The users were in the database that was deleted: nobody could log in any more.
    assert [name for name, status in _lines(done).items() if status == "FAIL"] == ["users"]
    assert "linksplus users add" in done.stdout and done.returncode == 1


def test_a_readable_config_file_is_a_warning(configured, linksplus):
    configured.chmod(0o644)
    done = linksplus("check")
    assert _lines(done)["configuration file"] == "warn"
    assert "chmod 600" in done.stdout
