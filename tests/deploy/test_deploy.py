"""The deployment of deploy/ and README "Running it for your team", run on this machine:
PostgreSQL, `linksplus init` by flags, two app instances and two receivers started with the
systemd units' ExecStart lines, and Caddy from Debian's package with deploy/Caddyfile on
high ports with its own CA (`tls internal`). In Chromium over HTTPS: the admin adds a
salesperson on the Users page, the salesperson logs in (choosing their own password) and
makes a link, a signed webhook sent through Caddy (its certificate verified) is counted
once, and when the salesperson's app instance stops they carry on through the other
without logging in again."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import tomllib
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from stack import (
    CADDY,
    ENV_FILE,
    UNITS,
    Stack,
    deploy_overrides,
    env_file_values,
    process_environment,
    unit_command,
)
from webhooks.conftest import pg_server, pg_url  # noqa: F401

from linksplus.devserver import free_port
from linksplus.webhooks.signing import sign_headers

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

REPO = Path(__file__).resolve().parents[2]
LOGS = REPO / "test-artifacts" / "logs"
SHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
ADMIN_PASSWORD = "deploy-admin-password-7"
SALES_PASSWORD = "deploy-sales-password-5"
LINK_AMOUNT = 1_250_00  # 1,250.00 THB in satang


def _need(path: Path | str, what: str) -> None:
    if not Path(path).exists():
        reason = f"{what} not found at {path}: apt-get install {Path(path).name}"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless (as tests/e2e launches it)."""
    _need(CHROMIUM, "Chromium")
    _need(CADDY, "Caddy")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def linksplus_init(install: Path, env_file: dict, sandbox, db_url: str) -> Path:
    """README's `linksplus init` by flags, in the install folder: the config file, the
    database's tables and the first admin ("admin")."""
    done = subprocess.run(
        [
            *(sys.executable, "-m", "linksplus", "init", "--no-input"),
            *("--api-base-url", sandbox.url, "--api-key-stdin"),
            *("--eventlog-url", db_url),
            *("--admin-username", "admin", "--admin-name", "Arun Admin"),
            *("--admin-email", "arun@example.com", "--admin-password-stdin"),
        ],
        cwd=install,
        env=process_environment(env_file, install.parent),
        input=f"{sandbox.api_key}\n{ADMIN_PASSWORD}\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return install / ".streamlit" / "secrets.toml"


def add_salesperson(page: Page, url: str, username: str, name: str, team: int) -> str:
    """The admin, logged in at `url`, adds a salesperson in `team` on the Users page; the
    one-time password the page shows once."""
    page.locator("[data-testid='stSidebarNavLink']").filter(
        has=page.get_by_text("Users", exact=True)
    ).click()
    body = main(page)
    expect(body.get_by_role("heading", name="Add a person")).to_be_visible()
    wait_idle(page)
    form = body.get_by_test_id("stForm").first
    form.get_by_role("textbox", name="Username", exact=True).fill(username)
    form.get_by_role("textbox", name="Name", exact=True).fill(name)
    form.get_by_role("textbox", name="Email", exact=True).fill(f"{username}@example.com")
    form.get_by_role("textbox", name="Teams", exact=True).fill(str(team))
    form.get_by_role("button", name="Add").click()
    code = body.get_by_test_id("stCode")
    expect(code).to_be_visible()
    once = code.inner_text().strip()
    wait_idle(page)
    return once


def choose_password(page: Page, url: str, username: str, once: str, password: str) -> None:
    """First login with the one-time password: the console asks for a new one first."""
    page.goto(url)
    expect(page.get_by_role("textbox", name="Username")).to_be_visible(timeout=90_000)
    wait_idle(page)
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(once)
    page.get_by_role("button", name="Log in").click()
    body = main(page)
    expect(body.get_by_role("heading", name="Choose a new password")).to_be_visible()
    wait_idle(page)
    body.get_by_label("New password", exact=True).fill(password)
    body.get_by_label("New password, again").fill(password)
    body.get_by_role("button", name="Save my password").click()
    expect(body.get_by_role("heading", name="Links")).to_be_visible()
    wait_idle(page)


def new_page(browser: Browser) -> Page:
    """A fresh browser (no cookies). Caddy's local CA is not in Chromium's store: the
    certificate is checked where it matters for Omise, on the webhook's POST below."""
    context = browser.new_context(
        ignore_https_errors=True,
        viewport={"width": 1400, "height": 1100},
        timezone_id="Asia/Bangkok",
        locale="en-US",
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


def main(page: Page):
    return page.locator("[data-testid='stMain']")


def wait_idle(page: Page) -> None:
    page.wait_for_selector(IDLE)


def log_in(page: Page, url: str, username: str, password: str) -> None:
    """The login form at `url`, filled and sent once: the app's navigation shows."""
    page.goto(url)
    expect(page.get_by_role("textbox", name="Username")).to_be_visible(timeout=90_000)
    wait_idle(page)
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("[data-testid='stSidebarNav']")).to_be_visible(timeout=30_000)
    wait_idle(page)


def open_page(page: Page, title: str, heading: str) -> None:
    page.locator("[data-testid='stSidebarNavLink']").filter(
        has=page.get_by_text(title, exact=True)
    ).click()
    expect(main(page).get_by_role("heading", name=heading, exact=True)).to_be_visible()
    wait_idle(page)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def create_link(page: Page, name: str) -> int:
    """Create link: the demo's "Workshop ticket" template, `name`, 1,250.00; its id."""
    open_page(page, "Create link", "Create a payment link")
    template_box = main(page).get_by_role("combobox", name="Template")
    template_box.click()
    page.get_by_role("option", name="Workshop ticket", exact=True).click()
    expect(template_box).to_have_value("Workshop ticket")
    expect(
        main(page)
        .locator("[data-testid='stMarkdownContainer']")
        .get_by_text("Workshop ticket", exact=True)
    ).to_be_visible()
    wait_idle(page)
    main(page).get_by_role("textbox", name="Link name").fill(name)
    amount = main(page).get_by_role("textbox", name="Amount", exact=True)
    amount.fill("1250")
    expect(amount).to_have_value("1250")
    main(page).get_by_role("button", name="Create link").click()
    created = page.locator(".st-key-created_link")
    expect(created).to_contain_text(f"“{name}” is ready")
    wait_idle(page)
    match = re.search(r"Link #(\d+) “", created.inner_text())
    assert match, created.inner_text()
    return int(match.group(1))


def no_payments_yet(page: Page) -> None:
    """The Payments page of a fresh database: nothing yet."""
    open_page(page, "Payments", "Payments")
    expect(main(page).get_by_text("No payment in this period yet.", exact=False)).to_be_visible()


def expect_payments(page: Page, count: int) -> None:
    tile = page.locator(".st-key-tile_thb")
    value = tile.locator("[data-testid='stMetric']").filter(has_text="Successful payments")
    expect(value.locator("[data-testid='stMetricValue']")).to_have_text(
        f"{count:,}", timeout=40_000
    )


def instance_of(page: Page, stack: Stack) -> int:
    """The app port Caddy keeps this browser on: its cookie is the HMAC-SHA256 of the
    upstream's address under LINKSPLUS_LB_SECRET."""
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "linksplus_instance"]
    secret = stack.env_file["LINKSPLUS_LB_SECRET"].encode()
    for port in stack.apps:
        dial = f"127.0.0.1:{port}".encode()
        if hmac.new(secret, dial, hashlib.sha256).hexdigest() == cookie["value"]:
            return port
    raise AssertionError(f"the instance cookie names no app: {cookie}")


def signed_payment(stack: Stack, secret: str, path: str, link_id: int, payment_id: str):
    """A payment.completed for `link_id`, signed as Omise signs, POSTed through Caddy to
    `path` with Caddy's certificate verified."""
    body = json.dumps(
        {
            "event": "payment.completed",
            "link_id": link_id,
            "payment": {
                "id": payment_id,
                "amount": LINK_AMOUNT,
                "currency": "thb",
                "status": "successful",
            },
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    ).encode()
    headers = {"Content-Type": "application/json", **sign_headers(body, secret)}
    return stack.session().post(stack.url + path, data=body, headers=headers, timeout=30)


def test_the_units_run_what_the_readme_installs():
    """Every unit runs the virtualenv's `linksplus` in /opt/linksplus with the env file;
    the backup's folder and count come from the env file."""
    env = env_file_values(Path("/opt/linksplus"), {})
    for unit in sorted(UNITS.glob("*.service")):
        command = unit_command(unit, "8501", env, Path("/opt/linksplus"))
        assert command.environment_files == [ENV_FILE], unit.name
    backup = unit_command(UNITS / "linksplus-backup.service", "", env, Path("/opt/linksplus"))
    assert backup.argv[3:] == ["backup", "/opt/linksplus/backups", "--keep", "14"]
    receiver = unit_command(UNITS / "linksplus-webhooks@.service", "8767", env, Path("/x"))
    assert "--config" in receiver.argv and "8767" in receiver.argv


def test_the_caddyfile_as_shipped_serves_the_example_name_over_both_pairs():
    """With no variable set (the defaults after ":"), the Caddyfile is the README's layout:
    the example name with a Let's Encrypt address, webhooks over 8766/8767 checked on
    /healthz, the console over 8501/8502, sticky by cookie, checked on /_stcore/health."""
    _need(CADDY, "Caddy")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LINKSPLUS_")}
    done = subprocess.run(
        [CADDY, "adapt", "--config", str(REPO / "deploy" / "Caddyfile"), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        env=clean,
        timeout=60,
        check=True,
    )
    config = json.loads(done.stdout)
    text = json.dumps(config)
    assert config["apps"]["http"]["servers"]["srv0"]["listen"] == [":443"]
    assert '"host": ["console.example.com"]' in text
    assert '"email": "admin@example.com"' in text
    proxies = re.findall(r'"upstreams": \[(.*?)\]', text)
    assert ["8766" in p and "8767" in p for p in proxies] == [True, False]
    assert ["8501" in p and "8502" in p for p in proxies] == [False, True]
    assert '"uri": "/healthz"' in text and '"uri": "/_stcore/health"' in text
    assert '"policy": "cookie"' in text and '"name": "linksplus_instance"' in text


def test_https_console_and_webhooks_over_two_instances(browser, sandbox, request, tmp_path):
    db_url = request.getfixturevalue("pg_url")
    sandbox.reset("demo")
    install = tmp_path / "opt-linksplus"
    install.mkdir()
    app_ports, receiver_ports = [free_port(), free_port()], [free_port(), free_port()]
    env_file = env_file_values(install, deploy_overrides(app_ports, receiver_ports))
    config = linksplus_init(install, env_file, sandbox, db_url)
    with config.open("rb") as file:
        webhook_secret = tomllib.load(file)["linksplus"]["webhook_secret"]

    stack = Stack(install, env_file, LOGS)
    try:
        for port in app_ports:
            stack.start_app(port)
        for port in receiver_ports:
            stack.start_receiver(port)
        stack.start_caddy()
        assert stack.url.startswith("https://")

        # The admin (made by `linksplus init`) logs in over HTTPS, gets the admin's pages,
        # and adds a salesperson on the Users page. (Their Links page now holds the team's
        # link list in their instance's cache: the salesperson's new link must still count
        # there, after the failover below.)
        admin = new_page(browser)
        log_in(admin, stack.url, "admin", ADMIN_PASSWORD)
        expect(page_nav(admin)).to_contain_text("Settings")
        once = add_salesperson(admin, stack.url, "somchai", "Somchai Sales", team=101)
        admin.context.close()

        # The salesperson logs in with the one-time password, chooses their own, and makes
        # a link.
        page = new_page(browser)
        choose_password(page, stack.url, "somchai", once, SALES_PASSWORD)
        expect(page_nav(page)).not_to_contain_text("Settings")
        link_id = create_link(page, f"Deploy test {uuid.uuid4().hex[:8]}")
        no_payments_yet(page)

        # Omise pays it: the system and the dashboard webhooks both deliver the payment,
        # through Caddy to either receiver, with Caddy's certificate verified. Once.
        answers = [
            signed_payment(stack, webhook_secret, path, link_id, "chrg_deploy_1")
            for path in ("/webhooks/linksplus/system", "/webhooks/linksplus/dashboard")
        ]
        assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
        assert [a.json()["status"] for a in answers] == ["accepted", "duplicate"]
        unsigned = stack.session().post(
            stack.url + "/webhooks/linksplus", json={"event": "payment.completed"}, timeout=30
        )
        assert unsigned.status_code == 401, unsigned.text  # the secret came from the config
        # The receivers' own health and metrics stay private: the console answers those.
        assert "linksplus_" not in stack.session().get(stack.url + "/metrics", timeout=30).text
        open_page(page, "Links", "Links")
        open_page(page, "Payments", "Payments")
        expect_payments(page, 1)

        # The salesperson's instance stops; the page carries on through the other one,
        # logged in by the login cookie (no login form), and works.
        serving = instance_of(page, stack)
        stack.apps[serving].stop()
        expect(page.get_by_role("textbox", name="Username")).to_have_count(0)
        # (Streamlit's page reconnects by itself; Caddy sends it to the running instance.)
        open_page(page, "Links", "Links")
        expect(page.get_by_role("textbox", name="Username")).to_have_count(0)
        wait_idle(page)
        assert instance_of(page, stack) != serving
        open_page(page, "Payments", "Payments")
        expect_payments(page, 1)
        second = create_link(page, f"Deploy test after {uuid.uuid4().hex[:8]}")
        assert second != link_id
        page.context.close()

    except Exception:
        SHOTS.mkdir(parents=True, exist_ok=True)
        for index, context in enumerate(browser.contexts):
            for number, open_one in enumerate(context.pages):
                open_one.screenshot(path=str(SHOTS / f"failed-deploy-{index}-{number}.png"))
        raise
    finally:
        stack.stop()


def page_nav(page: Page):
    return page.locator("[data-testid='stSidebarNav']")
