"""What deploy/ describes, run on this machine: each systemd unit's ExecStart line (the
environment file expanded, the instance name substituted, /opt/linksplus moved to a test
folder and its virtualenv's `linksplus` to this Python) and Caddy from Debian's package with
deploy/Caddyfile. The deploy test and bench/instance_capacity.py both start it from here."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from linksplus.devserver import die_with_parent, free_port, wait_until_healthy

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
UNITS = DEPLOY / "systemd"
CADDYFILE = DEPLOY / "Caddyfile"
ENV_EXAMPLE = DEPLOY / "linksplus.env.example"
# Where the units expect the product and its environment file (README's steps).
INSTALL_DIR = "/opt/linksplus"
ENV_FILE = "/etc/linksplus/linksplus.env"
VENV_LINKSPLUS = f"{INSTALL_DIR}/.venv/bin/linksplus"
CADDY = shutil.which("caddy") or "/usr/bin/caddy"


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as systemd's EnvironmentFile reads them (comments and blanks
    skipped, one pair of surrounding quotes removed)."""
    env = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def service_section(unit: Path) -> dict[str, list[str]]:
    """The [Service] section of a unit file: each key's values, in order."""
    values: dict[str, list[str]] = {}
    section = None
    for raw in unit.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def _expand(line: str, env: dict[str, str]) -> list[str]:
    """An ExecStart line split into words as systemd does: ``${VAR}`` is one word, ``$VAR``
    splits at whitespace (a variable missing from `env` is an error here: a typo)."""

    def one_word(match: re.Match) -> str:
        return shlex.quote(env[match.group(1)])

    def split_words(match: re.Match) -> str:
        return env[match.group(1)]

    line = re.sub(r"\$\{(\w+)\}", one_word, line)
    line = re.sub(r"\$(\w+)", split_words, line)
    return shlex.split(line)


@dataclass
class UnitCommand:
    """What systemd would run for a unit instance, moved to this machine's test folder."""

    argv: list[str]
    cwd: Path
    environment_files: list[str]


def unit_command(unit: Path, instance: str, env: dict[str, str], install: Path) -> UnitCommand:
    """The unit's ExecStart for `instance` (its %i), with `env` the environment file's
    variables, and /opt/linksplus as `install`."""
    service = service_section(unit)
    (line,) = service["ExecStart"]
    words = _expand(line.replace("%i", instance), env)
    if words[0] != VENV_LINKSPLUS:
        raise AssertionError(f"{unit.name} runs {words[0]}, not {VENV_LINKSPLUS}")
    argv = [sys.executable, "-m", "linksplus", *words[1:]]
    (cwd,) = service["WorkingDirectory"]
    if cwd != INSTALL_DIR:
        raise AssertionError(f"{unit.name} works in {cwd}, not {INSTALL_DIR}")
    return UnitCommand(argv, install, service.get("EnvironmentFile", []))


@dataclass
class Process:
    """A child process with its log file; stopped with SIGTERM (systemd's way)."""

    name: str
    argv: list[str]
    cwd: Path
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen | None = None

    def start(self, health_url: str | None = None, *, verify: bool | str = True) -> Process:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        if health_url:
            try:
                wait_until_healthy(health_url, timeout=90, proc=self.proc, verify=verify)
            except RuntimeError:
                self.stop()
                tail = self.log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{self.name} did not start:\n{tail}") from None
        return self

    def stop(self, timeout: float = 20) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def env_file_values(install: Path, overrides: dict[str, str]) -> dict[str, str]:
    """The environment file's variables: deploy/linksplus.env.example with `overrides`
    (ports, name, certificate), as the operator's copy would differ from it."""
    env = read_env_file(ENV_EXAMPLE)
    unknown = set(overrides) - set(env)
    if unknown:
        raise AssertionError(f"linksplus.env.example has no {sorted(unknown)}")
    env.update(overrides)
    env["LINKSPLUS_BACKUP_DIR"] = str(install / "backups")
    return env


def process_environment(env_file: dict[str, str], home: Path) -> dict[str, str]:
    """A service's environment: this machine's without LINKSPLUS_ settings, HOME moved
    (no ~/.streamlit of this machine), this checkout importable, and the env file's."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("LINKSPLUS_")}
    base.update(HOME=str(home), PYTHONPATH=str(REPO))
    return {**base, **env_file}


@dataclass
class Stack:
    """Apps, receivers and Caddy, as deploy/ runs them; `url` is Caddy's https:// address."""

    install: Path
    env_file: dict[str, str]
    logs: Path
    apps: dict[int, Process] = field(default_factory=dict)
    receivers: dict[int, Process] = field(default_factory=dict)
    caddy: Process | None = None
    url: str = ""
    root_cert: Path | None = None
    name: str = "deploy"  # of Caddy's data folder and log: several stacks can share a folder

    def start_app(self, port: int) -> Process:
        unit = UNITS / "linksplus-app@.service"
        command = unit_command(unit, str(port), self.env_file, self.install)
        assert command.environment_files == [ENV_FILE], command.environment_files
        app = Process(
            f"app@{port}",
            command.argv,
            command.cwd,
            process_environment(self.env_file, self.install.parent),
            self.logs / f"{self.name}-app-{port}.log",
        )
        self.apps[port] = app.start(f"http://127.0.0.1:{port}/_stcore/health")
        return app

    def start_receiver(self, port: int) -> Process:
        unit = UNITS / "linksplus-webhooks@.service"
        command = unit_command(unit, str(port), self.env_file, self.install)
        assert command.environment_files == [ENV_FILE], command.environment_files
        receiver = Process(
            f"webhooks@{port}",
            command.argv,
            command.cwd,
            process_environment(self.env_file, self.install.parent),
            self.logs / f"{self.name}-receiver-{port}.log",
        )
        self.receivers[port] = receiver.start(f"http://127.0.0.1:{port}/healthz")
        return receiver

    def start_caddy(self) -> Process:
        """`caddy run` with deploy/Caddyfile, its data (the local CA) under the test folder;
        waits until the console answers through it over HTTPS, Caddy's root verified."""
        data = self.install.parent / f"{self.name}-caddy-data"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LINKSPLUS_")},
            "HOME": str(self.install.parent),
            "XDG_DATA_HOME": str(data),
            "XDG_CONFIG_HOME": str(self.install.parent / f"{self.name}-caddy-config"),
            **self.env_file,
        }
        argv = [CADDY, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"]
        log = self.logs / f"{self.name}-caddy.log"
        self.caddy = Process("caddy", argv, self.install, env, log)
        self.caddy.start()
        self.url = (
            f"https://{self.env_file['LINKSPLUS_DOMAIN']}:{self.env_file['LINKSPLUS_HTTPS_PORT']}"
        )
        self.root_cert = data / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        deadline = time.monotonic() + 60
        while not self.root_cert.exists():
            if time.monotonic() > deadline or self.caddy.proc.poll() is not None:
                raise RuntimeError("Caddy made no local CA:\n" + self.caddy.log_path.read_text())
            time.sleep(0.2)
        health = f"{self.url}/_stcore/health"
        wait_until_healthy(health, timeout=60, proc=self.caddy.proc, verify=str(self.root_cert))
        return self.caddy

    def session(self) -> requests.Session:
        """HTTP through Caddy with its root certificate verified."""
        session = requests.Session()
        # Not REQUESTS_CA_BUNDLE or a proxy from this machine's environment: Caddy's root.
        session.trust_env = False
        session.verify = str(self.root_cert)
        return session

    def stop(self) -> None:
        for process in [self.caddy, *self.apps.values(), *self.receivers.values()]:
            if process is not None:
                process.stop()


def deploy_overrides(app_ports: list[int], receiver_ports: list[int]) -> dict[str, str]:
    """The environment file's values for this machine: 127.0.0.1 with Caddy's own CA, free
    high ports (nothing on 80/443 or Caddy's usual admin port)."""
    return {
        "LINKSPLUS_DOMAIN": "127.0.0.1",
        "LINKSPLUS_TLS": "internal",
        "LINKSPLUS_HTTP_PORT": str(free_port()),
        "LINKSPLUS_HTTPS_PORT": str(free_port()),
        "LINKSPLUS_CADDY_ADMIN": f"127.0.0.1:{free_port()}",
        "LINKSPLUS_APPS": " ".join(f"127.0.0.1:{p}" for p in app_ports),
        "LINKSPLUS_RECEIVERS": " ".join(f"127.0.0.1:{p}" for p in receiver_ports),
        "LINKSPLUS_LB_SECRET": "deploy-test-instance-cookie",
        "LINKSPLUS_LOG_FORMAT": "text",
    }
