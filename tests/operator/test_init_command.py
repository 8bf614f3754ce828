"""`linksplus init` writes a working configuration and the first admin, and never writes
over a configuration that works."""

from __future__ import annotations

import stat
import tomllib

from conftest import init_args

from linksplus.config import Settings
from linksplus.console.users import check_password, configured_users


def _settings(path) -> Settings:
    with path.open("rb") as file:
        return Settings.load(tomllib.load(file), environ={})


def test_init_by_flags_writes_a_private_file_and_a_working_admin(configured, sandbox):
    assert stat.S_IMODE(configured.stat().st_mode) == 0o600
    with configured.open("rb") as file:
        section = tomllib.load(file)["linksplus"]
    assert section["api_key"] == sandbox.api_key and section["api_auth"] == "raw"
    assert len(section["cookie_key"]) >= 48
    assert len(section["webhook_secret"]) == 44  # base64 of 32 bytes
    (admin,) = configured_users(_settings(configured))
    assert (admin.username, admin.name, admin.email) == ("arun", "Arun", "a@example.com")
    assert admin.roles == ("admin",) and admin.teams == "*"
    assert check_password("correct horse battery", admin.password_hash)
    # The admin lives in the console's database: no users file to edit by hand.
    assert "users_file" not in section and not list(configured.parent.parent.rglob("*.yaml"))


def test_a_weak_admin_password_is_refused_with_a_sentence(linksplus, sandbox, folder):
    done = linksplus(
        *init_args(sandbox, "--admin-password-stdin"), stdin=f"{sandbox.api_key}\npassword123\n"
    )
    assert done.returncode == 1
    assert "one of the most common" in done.stderr
    assert not (folder / ".streamlit" / "secrets.toml").exists()


def test_the_key_is_never_printed(linksplus, sandbox):
    done = linksplus(*init_args(sandbox), stdin=f"{sandbox.api_key}\n")
    assert done.returncode == 0, done.stderr
    assert sandbox.api_key not in done.stdout + done.stderr
    assert "accepts the key" in done.stdout


def test_without_a_password_one_is_made_up_and_shown_once(linksplus, sandbox, folder):
    done = linksplus(*init_args(sandbox), stdin=f"{sandbox.api_key}\n")
    assert done.returncode == 0, done.stderr
    (line,) = [x for x in done.stdout.splitlines() if "shown this once" in x]
    password = line.rsplit(" ", 1)[1]
    (admin,) = configured_users(_settings(folder / ".streamlit" / "secrets.toml"))
    assert check_password(password, admin.password_hash)


def test_a_second_init_refuses_and_leaves_the_file_as_it_was(configured, linksplus, sandbox):
    before = configured.read_bytes()
    done = linksplus(*init_args(sandbox), stdin=f"{sandbox.api_key}\n")
    assert done.returncode == 1
    assert done.stderr.strip().count(". ") == 0  # one sentence
    assert "already holds a configuration" in done.stderr and "--force" in done.stderr
    assert configured.read_bytes() == before


def test_force_replaces_it_with_new_secrets_and_keeps_the_users(configured, linksplus, sandbox):
    before = _settings(configured)
    done = linksplus(*init_args(sandbox, "--force"), stdin=f"{sandbox.api_key}\n")
    assert done.returncode == 0, done.stderr
    after = _settings(configured)
    assert after.cookie_key != before.cookie_key
    assert "already has users; it was left as it is" in done.stdout
    assert [u.username for u in configured_users(after)] == ["arun"]


def test_a_refused_key_writes_nothing(linksplus, sandbox, folder):
    done = linksplus(*init_args(sandbox), stdin="skey_test_not_the_key_9999\n")
    assert done.returncode == 1
    assert "The Links+ key was refused in every style" in done.stderr
    assert "skey_test_not_the_key_9999" not in done.stdout + done.stderr
    assert not (folder / ".streamlit" / "secrets.toml").exists()


def test_the_auth_style_links_plus_accepts_is_the_one_written(linksplus, sandbox, folder):
    # The sandbox takes every style; asked with bearer first, bearer is what is written.
    done = linksplus(*init_args(sandbox, "--api-auth", "bearer"), stdin=f"{sandbox.api_key}\n")
    assert done.returncode == 0, done.stderr
    assert _settings(folder / ".streamlit" / "secrets.toml").api_auth == "bearer"


def test_interactive_init_reads_its_answers_from_stdin(linksplus, sandbox, folder):
    answers = [sandbox.url, sandbox.api_key, "malee", "Malee K.", "m@example.com", "s3cret-pass"]
    done = linksplus("init", stdin="\n".join(answers) + "\n")
    assert done.returncode == 0, done.stderr
    for question in ("Links+ API address", "Links+ API key", "username", "password"):
        assert question in done.stdout
    settings = _settings(folder / ".streamlit" / "secrets.toml")
    assert settings.api_base_url == sandbox.url
    (admin,) = configured_users(settings)
    assert (admin.username, admin.email) == ("malee", "m@example.com")
    assert check_password("s3cret-pass", admin.password_hash)


def test_skip_connection_check_works_offline(linksplus, folder):
    done = linksplus(
        "init",
        "--no-input",
        *("--api-base-url", "http://127.0.0.1:9", "--api-key-stdin", "--skip-connection-check"),
        stdin="skey_test_offline_1234\n",
    )
    assert done.returncode == 0, done.stderr
    assert _settings(folder / ".streamlit" / "secrets.toml").api_key == "skey_test_offline_1234"


def test_links_plus_not_answering_is_said_and_nothing_is_written(linksplus, folder):
    done = linksplus(
        "init",
        "--no-input",
        *("--api-base-url", "http://127.0.0.1:9", "--api-key-stdin"),
        stdin="skey_test_offline_1234\n",
    )
    assert done.returncode == 1
    assert "could not be asked" in done.stderr and "--skip-connection-check" in done.stderr
    assert "..." not in done.stderr and ".)" not in done.stderr
    assert not (folder / ".streamlit" / "secrets.toml").exists()
