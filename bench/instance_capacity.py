"""Benchmark: how many salespeople one app instance serves, and two behind Caddy.

Runs what deploy/ describes, as tests/deploy does (a throw-away PostgreSQL, `linksplus
init`, the app instances from the systemd unit's ExecStart line, Caddy from Debian's
package with deploy/Caddyfile and its own CA), then simulates salespeople without a
browser: each is a websocket client speaking Streamlit's protocol (BackMsg rerun_script,
ForwardMsg deltas and script_finished) with a login cookie minted with the configured
cookie key (linksplus/console/login_cookie.py), so its session is logged in as a browser
with that cookie is. Each salesperson, once connected:

  * opens Links (the first page run),
  * opens Create link and submits the form (name and amount typed into the form's
    widgets by their ids from the page's deltas, the Create link button's trigger), and
    checks that the page says the link is ready,
  * then reads Payments every --period seconds (30 s in real use) until the level ends.

A page run is timed from the BackMsg to the ForwardMsg that says the script finished.
Salespeople are added level by level (--levels), first with one app instance behind Caddy
(the second is stopped: Caddy's health check skips it), then with two; for each level the
median and 95th percentile page run are printed with the app processes' CPU time a run,
and for each setup the most salespeople served with a median page run under 1 s (at that
level and every smaller one). The ratio two/one is printed last (target 1.7).

The load generator runs on the same machine and its cores as the apps, Caddy and
PostgreSQL; Streamlit's run_every refresh of the Payments tiles (a browser's 5 s timer) is
not simulated: each simulated salesperson asks for Payments every --period instead.

    .venv/bin/python bench/instance_capacity.py [--period 3] [--levels 4,8,16,24,32]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from harness import ROOT, sandbox

sys.path.insert(0, str(ROOT / "tests" / "deploy"))
from stack import Stack, deploy_overrides, env_file_values, process_environment
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

from linksplus.console import login_cookie
from linksplus.console.users import UserRecord, hash_password, load_users, save_users
from linksplus.devserver import free_port
from linksplus.sandbox.controls_client import SandboxControls

API_KEY = "skey_test_bench_capacity_key"
USERNAME, PASSWORD = "somchai", "bench-capacity-password-1"
TARGET_SECONDS = 1.0
DONE = ForwardMsg.FINISHED_SUCCESSFULLY


def _pg_cluster():
    """The tests' throw-away PostgreSQL cluster (tests/webhooks/conftest.py)."""
    path = ROOT / "tests" / "webhooks" / "conftest.py"
    spec = importlib.util.spec_from_file_location("_bench_pg", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    initdb = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))[-1]
    return module._throwaway_cluster(str(initdb.parent))


@dataclass
class Page:
    """One page run's outcome: its time, the widgets it drew (label -> id), its text."""

    seconds: float
    widgets: dict[str, str] = field(default_factory=dict)
    text: str = ""


class Salesperson:
    """One simulated browser session: a websocket to the console through Caddy."""

    def __init__(self, url: str, cookie: str, tls: ssl.SSLContext):
        self.url, self.cookie, self.tls = url, cookie, tls
        self.ws = None

    async def open(self) -> None:
        self.ws = await connect(
            self.url,
            subprotocols=["streamlit"],
            additional_headers={"Cookie": f"linksplus_console={self.cookie}"},
            ssl=self.tls,
            max_size=None,
            open_timeout=60,
        )

    async def run_page(self, page: str, widgets: list | None = None, text: bool = False) -> Page:
        """Ask for a run of `page` (its URL path) with `widgets` set; wait for its end."""
        msg = BackMsg()
        msg.rerun_script.page_name = page
        msg.rerun_script.query_string = ""
        for state in widgets or ():
            msg.rerun_script.widget_states.widgets.append(state)
        started = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        seen: dict[str, str] = {}
        parts: list[str] = []
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), timeout=120)
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                element = fwd.delta.new_element
                widget = element.WhichOneof("type")
                body = getattr(element, widget, None)
                if hasattr(body, "id") and hasattr(body, "label"):
                    seen[body.label] = body.id
                if text:
                    parts.append(str(element))
            elif kind == "script_finished" and fwd.script_finished != 2:  # 2: early, rerun
                return Page(time.perf_counter() - started, seen, "\n".join(parts))

    async def create_link(self) -> tuple[list[float], bool]:
        """Open Create link and submit the form: the two runs' times and whether the page
        said the link is ready."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        form = await self.run_page("create_link")
        ids = form.widgets
        if not {"Link name", "Amount", "Create link"} <= set(ids):
            return [form.seconds], False
        states = [
            WidgetState(id=ids["Link name"], string_value=f"Bench {uuid.uuid4().hex[:10]}"),
            WidgetState(id=ids["Amount"], string_value="1250"),
            WidgetState(id=ids["Create link"], trigger_value=True),
        ]
        done = await self.run_page("create_link", states, text=True)
        return [form.seconds, done.seconds], "is ready" in done.text

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


@dataclass
class Level:
    """What one level of load measured."""

    sessions: int
    runs: list[float] = field(default_factory=list)
    links_made: int = 0
    links_failed: int = 0
    errors: int = 0
    cpu_seconds: float = 0.0  # the app instances' CPU time (user + system) meanwhile

    def median(self) -> float:
        return statistics.median(self.runs) if self.runs else float("inf")

    def p95(self) -> float:
        if len(self.runs) < 2:
            return self.median()
        return statistics.quantiles(self.runs, n=20)[-1]


async def _one(person: Salesperson, level: Level, period: float, start: float, end: float):
    """A salesperson's day, compressed: Links, Create link, then Payments every `period`
    until `end`."""
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    try:
        await person.open()
        links = await person.run_page("")
        times, made = await person.create_link()
        level.runs += [links.seconds, *times]
        level.links_made += made
        level.links_failed += not made
        while True:
            wake = time.monotonic() + period
            if wake > end:
                break
            await asyncio.sleep(max(0.0, wake - time.monotonic()))
            page = await person.run_page("payments")
            level.runs.append(page.seconds)
    except Exception as exc:
        level.errors += 1
        print(f"    a session failed: {type(exc).__name__}: {exc}", flush=True)
    finally:
        await person.close()


async def run_level(url: str, cookie: str, tls, sessions: int, period: float, rounds: int):
    """`sessions` salespeople arriving over one period, each reading Payments `rounds`
    times after its link."""
    level = Level(sessions)
    now = time.monotonic() + 0.5
    end = now + period * (rounds + 1)
    people = [Salesperson(url, cookie, tls) for _ in range(sessions)]
    await asyncio.gather(
        *(
            _one(p, level, period, now + period * i / sessions, end + period * i / sessions)
            for i, p in enumerate(people)
        )
    )
    return level


def _mint_cookie(config: Path) -> str:
    """The login cookie a browser of USERNAME holds, signed with the configured key."""
    with config.open("rb") as file:
        table = tomllib.load(file)["linksplus"]
    user = next(u for u in load_users(table["users_file"]) if u.username == USERNAME)
    key = table["cookie_key"]
    fingerprint = login_cookie.password_fingerprint(user.password_hash, key)
    claims = login_cookie.LoginClaims(USERNAME, time.time() + 86400, 0, fingerprint)
    return login_cookie.encode(claims, key)


def _install(tmp: Path, env_file: dict, api_url: str, db_url: str) -> Path:
    """`linksplus init` by flags (as README's step 5) and a salesperson in team 101."""
    install = tmp / "opt-linksplus"
    install.mkdir()
    subprocess.run(
        [
            *(sys.executable, "-m", "linksplus", "init", "--no-input"),
            *("--api-base-url", api_url, "--api-key-stdin", "--eventlog-url", db_url),
            *("--admin-username", "admin", "--admin-name", "Admin"),
        ],
        cwd=install,
        env=process_environment(env_file, tmp),
        input=f"{API_KEY}\n",
        capture_output=True,
        text=True,
        check=True,
    )
    config = install / ".streamlit" / "secrets.toml"
    with config.open("rb") as file:
        users_file = tomllib.load(file)["linksplus"]["users_file"]
    users = load_users(users_file)
    users.append(UserRecord(USERNAME, "Somchai", "", ["sales"], [101], hash_password(PASSWORD)))
    save_users(users_file, users)
    return config


def _cpu_seconds(stack: Stack) -> float:
    """The CPU time the stack's app processes have used so far (/proc/PID/stat)."""
    total = 0
    for app in stack.apps.values():
        fields = Path(f"/proc/{app.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _level(stack: Stack, cookie: str, sessions: int, args) -> Level:
    tls = ssl.create_default_context(cafile=str(stack.root_cert))
    url = stack.url.replace("https://", "wss://") + "/_stcore/stream"
    before = _cpu_seconds(stack)
    level = asyncio.run(run_level(url, cookie, tls, sessions, args.period, args.rounds))
    level.cpu_seconds = _cpu_seconds(stack) - before
    return level


def _line(label: str, level: Level) -> str:
    return (
        f"  {label:<4} median {level.median():6.3f} s, p95 {level.p95():6.3f} s, "
        f"app CPU {level.cpu_seconds / max(1, len(level.runs)):5.3f} s a run "
        f"({len(level.runs):>4} runs; links {level.links_made} made, {level.links_failed} "
        f"not; {level.errors} sessions failed)"
    )


def compare(stacks: dict[str, Stack], cookie: str, args) -> dict[str, list[Level]]:
    """Each level against one instance, then against two, side by side (other work on the
    machine then weighs on both alike); first two sessions on each instance, uncounted
    (its first runs import and fill its caches)."""
    for stack in stacks.values():  # every instance, straight (Caddy would pick one)
        for port in stack.apps:
            url = f"ws://127.0.0.1:{port}/_stcore/stream"
            asyncio.run(run_level(url, cookie, None, 2, args.period, 1))
    results: dict[str, list[Level]] = {name: [] for name in stacks}
    for sessions in args.levels:
        load = os.getloadavg()[0]
        print(f"{sessions:>4} sessions (load average {load:.1f} on {os.cpu_count()} cores):")
        for name, stack in stacks.items():
            if results[name] and results[name][-1].median() >= args.stop_above:
                continue  # this setup is past the point already
            level = _level(stack, cookie, sessions, args)
            results[name].append(level)
            print(_line(name, level), flush=True)
        if all(levels[-1].median() >= args.stop_above for levels in results.values()):
            break
    return results


def served(levels: list[Level]) -> int:
    """The most sessions served with a median page run under TARGET_SECONDS at that level
    and every smaller one (a level past it ends the count, whatever comes after)."""
    count = 0
    for level in levels:
        if level.median() >= TARGET_SECONDS or level.errors:
            break
        count = level.sessions
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--period", type=float, default=30.0, help="seconds between Payments")
    parser.add_argument("--rounds", type=int, default=3, help="Payments reads per session")
    parser.add_argument(
        "--levels",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[5, 10, 20, 30, 40, 60, 80],
        help="sessions per level, comma-separated",
    )
    parser.add_argument(
        "--stop-above", type=float, default=2.0, help="stop adding load past this median (s)"
    )
    args = parser.parse_args()
    logs = ROOT / "test-artifacts" / "logs"
    with tempfile.TemporaryDirectory() as tmp_name, _pg_cluster() as pg:
        tmp = Path(tmp_name)
        with pg.connect() as conn:
            conn.execute("CREATE DATABASE bench")
        with sandbox(tmp, API_KEY) as api_url:
            SandboxControls(api_url).call("POST", "/reset", json={"data": "demo"})
            # Two deployments of the same install: Caddy over one app, Caddy over two.
            ports = {"one": [free_port()], "two": [free_port(), free_port()]}
            envs = {
                n: env_file_values(tmp, deploy_overrides(p, [free_port()]))
                for n, p in ports.items()
            }
            config = _install(tmp, envs["one"], api_url, pg.url("bench"))
            install = config.parent.parent
            stacks = {n: Stack(install, envs[n], logs, name=f"bench-{n}") for n in ports}
            try:
                for name, stack in stacks.items():
                    for port in ports[name]:
                        stack.start_app(port)
                    stack.start_caddy()
                cookie = _mint_cookie(config)
                print(
                    f"Salespeople reading Payments every {args.period:g} s "
                    f"({args.rounds} reads after Links and a new link); page run = "
                    "BackMsg to script_finished, through Caddy over HTTPS."
                )
                results = compare(stacks, cookie, args)
            finally:
                for stack in stacks.values():
                    stack.stop()
    one, two = results["one"], results["two"]
    n1, n2 = served(one), served(two)
    scale = 30.0 / args.period
    print()
    print(f"sessions served at a median page run under {TARGET_SECONDS:g} s:")
    print(
        f"  one instance:  {n1:>4}   (~{n1 * scale:,.0f} salespeople at one Payments read / 30 s)"
    )
    print(
        f"  two instances: {n2:>4}   (~{n2 * scale:,.0f} salespeople at one Payments read / 30 s)"
    )
    runs = sum(len(lv.runs) for lv in one)
    per_run = sum(lv.cpu_seconds for lv in one) / max(1, runs)
    print(
        f"  app CPU a page run (one instance): {per_run:.3f} s; one instance is one Python "
        f"process, at most one core busy: ~{30 / per_run:,.0f} salespeople reading every 30 s "
        "keep that core full"
        if per_run
        else "  app CPU a page run: not measured"
    )
    ratio = n2 / n1 if n1 else float("nan")
    print(f"  ratio two/one: {ratio:.2f}  (target >= 1.7; both share this machine's cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
