"""Run one of the product's servers as a child process: for the demo, the tests and benches."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import requests


def die_with_parent() -> None:
    """In the child: ask Linux to SIGTERM it when its parent dies, so no server outlives
    the demo or the test run that started it, even one killed with SIGKILL."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the parent's stop() still applies
        pass


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something already listens on `port`."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_until_healthy(
    url: str,
    *,
    timeout: float = 30.0,
    proc: subprocess.Popen | None = None,
    verify: bool | str = True,
) -> None:
    """Poll `url` until it answers 200; RuntimeError when it never does or `proc` exits."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before {url} answered")
        try:
            # Connection: close: a kept-alive probe (its TLS socket freed only by the
            # garbage collector) would hold the server's graceful shutdown for 10 s.
            resp = requests.get(url, timeout=2, verify=verify, headers={"Connection": "close"})
            if resp.status_code == 200:
                return
            last = f"HTTP {resp.status_code}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy within {timeout:.0f} s ({last})")


class ServerProcess:
    """A `linksplus` subcommand (or any command) run as a child, stopped on exit.

    >>> with ServerProcess(["sandbox", "--port", "8765"], health_url=...) as server: ...
    """

    def __init__(
        self,
        args: Sequence[str],
        *,
        health_url: str,
        env: dict | None = None,
        log_path: Path | str | None = None,
        python_module: bool = True,
        verify: bool | str = True,
        timeout: float = 30.0,
    ):
        self.command = [sys.executable, "-m", "linksplus", *args] if python_module else list(args)
        self.health_url = health_url
        self.env = {**os.environ, **(env or {})}
        self.log_path = Path(log_path) if log_path else None
        self.verify = verify
        self.timeout = timeout
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> ServerProcess:
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        out = self._log or subprocess.DEVNULL
        self.proc = subprocess.Popen(
            self.command,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent if sys.platform == "linux" else None,
        )
        try:
            wait_until_healthy(
                self.health_url, timeout=self.timeout, proc=self.proc, verify=self.verify
            )
        except RuntimeError:
            self.stop()
            detail = self.log_path.read_text()[-2000:] if self.log_path else ""
            raise RuntimeError(f"could not start {' '.join(self.command)}\n{detail}") from None
        return self

    def exit_reason(self) -> str | None:
        """None while it runs; else how it ended: its exit code, or the signal that
        killed it."""
        if self.proc is None or self.proc.poll() is None:
            return None
        code = self.proc.returncode
        if code < 0:
            try:
                return f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"was killed by signal {-code}"
        return f"exited with code {code}"

    def log_tail(self, lines: int = 10) -> list[str]:
        """The last `lines` lines of its log (none without a log)."""
        if self.log_path is None or not self.log_path.exists():
            return []
        if self._log is not None:
            self._log.flush()
        with open(self.log_path, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 64 * 1024))  # a tail, not a whole log
            text = f.read().decode("utf-8", "replace")
        return text.splitlines()[-lines:]

    def kill(self) -> None:
        """SIGKILL, with no chance to clean up: for crash tests."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
            except ProcessLookupError:
                pass
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
