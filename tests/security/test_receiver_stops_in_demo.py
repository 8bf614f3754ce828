"""`linksplus demo` when its webhook receiver dies later: the launcher says which server
stopped and why (how it ended, the end of its log), not "The demo could not start"."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from polling import wait_for
from webhooks.webhook_helpers import children

from linksplus.devserver import free_port


def test_the_demo_says_which_server_stopped_and_why(tmp_path):
    ports = [free_port() for _ in range(3)]
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "linksplus",
            "demo",
            "--app-port",
            str(ports[0]),
            "--api-port",
            str(ports[1]),
            "--webhook-port",
            str(ports[2]),
            "--data-dir",
            str(tmp_path / "demo"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "LINKSPLUS_DEMO_PASSWORD": "demo-password-1"},
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(demo.stdout), daemon=True)
    reader.start()
    try:
        wait_for(
            lambda: any("Press Ctrl-C to stop." in line for line in lines) or demo.poll(),
            timeout=120,
            message="the demo to start",
        )
        assert demo.poll() is None, "".join(lines)
        (receiver,) = [
            pid
            for pid in children(demo.pid)
            if b"webhooks" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        ]
        os.kill(receiver, signal.SIGKILL)
        code = demo.wait(timeout=30)
    finally:
        if demo.poll() is None:
            demo.terminate()
            demo.wait(timeout=30)
    reader.join(timeout=5)
    output = "".join(lines)
    assert code == 1
    assert "The demo stopped: the webhook receiver was killed by SIGKILL." in output
    # The end of its log, where a crash would have printed why.
    assert "Links+ webhook receiver listening on" in output.split("The demo stopped")[1]
    assert "could not start" not in output
