"""Benchmark: the upload bombs of issue 23 read by the bulk sheet reader before its guard and
after, side by side, and another user's page while two of them run.

Writes the files of tests/security/xlsx_bombs.py: 20,000,000 empty rows (176 KB), one
400 MB inline string (390 KB), and one row of 450,000 cells (1.2 MB: within every archive
limit, the worst the guard lets reach a reader). Each is read by `read_sheet` in an app
process of its own (the probe in that file), with the reader of --old (a git revision) and
with this tree's; then the first two at once. For each: seconds, the app process's memory
growth, and its readers' (child processes') peak.

Then another user's page: a manager opens Payments (a new AppTest session each time, its
reads not cached; a team of --links links and --payments payments) in a process that is
also reading uploads, as Streamlit does: with no upload, and while two bombs are read in
threads, over and over (this tree's reader refuses each in a blink), in windows taking
turns over --during seconds each. The old reader's pair runs once (one window each; the
process is ended after). Prints the median page times and their ratio (target: < 1.5).

    .venv/bin/python bench/upload_bombs.py [--old eb13c5c] [--no-old] [--pages-only]
        [--during 40] [--windows 4] [--links 300] [--payments 100000] [--old-memory-gb 8]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness import ROOT, logged_in_app, sandbox, seed_links, timed_run, write_payments

sys.path.insert(0, str(ROOT / "tests" / "security"))
import xlsx_bombs

API_KEY = "skey_test_bench_bombs_key"
TEAM = 101
PAGE = "pages/payments.py"
PROBE = Path(xlsx_bombs.__file__)
BOMBS = {
    "20M empty rows": ("empty-rows.xlsx", xlsx_bombs.empty_rows_bomb),
    "400 MB string": ("long-string.xlsx", xlsx_bombs.long_string_bomb),
    "450k-cell row": ("wide-row.xlsx", xlsx_bombs.wide_row_bomb),
}


def probe(files: list[Path], reader: Path | None, memory_gb: float, timeout: float) -> dict:
    """The probe's answer for `files` read at once (None figures when it ran out of time)."""
    command = [sys.executable, str(PROBE), "--memory-gb", str(memory_gb)]
    command += ["--reader", str(reader)] if reader else []
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [*command, *map(str, files)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=True,
        )
    except subprocess.TimeoutExpired:
        return {"answers": [{"exception": f"still running after {timeout:.0f} s"}]}
    out = json.loads(done.stdout)
    out["wall"] = time.perf_counter() - started
    return out


def reader_peak(path: Path) -> float:
    """The peak resident MB of this tree's reader (the child process) reading `path`, started
    from a bare interpreter: a child's peak counts the size its parent had before the exec."""
    from linksplus.console import sheet_guard

    launch = (
        "import resource, subprocess, sys\n"
        "with open(sys.argv[1], 'rb') as file:\n"
        "    subprocess.run(sys.argv[2:], stdin=file, capture_output=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", launch, str(path), *sheet_guard._child_command()],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout)


def _said(answer: dict) -> str:
    if "sentence" in answer:
        return answer["sentence"][:60] + "…"
    if "rows" in answer:
        return f"{len(answer['rows'])} rows"
    return answer.get("exception", "?")


def files_table(tmp: Path, old: Path | None, old_memory_gb: float) -> None:
    cases = {label: [tmp / name] for label, (name, _) in BOMBS.items()}
    cases["two at once"] = [tmp / BOMBS["20M empty rows"][0], tmp / BOMBS["400 MB string"][0]]
    print(f"{'file':16} {'reader':6} {'seconds':>8} {'app +MB':>8} {'reader MB':>9}  answer")
    for label, files in cases.items():
        for name, reader in (("old", old), ("new", None)):
            if name == "old" and old is None:
                continue
            memory = old_memory_gb if name == "old" else 3
            out = probe(files, reader, memory, timeout=300 if name == "old" else 60)
            answers = out["answers"]
            seconds = max(a.get("seconds", float("nan")) for a in answers)
            growth = out.get("growth_mb", float("nan"))
            readers = max(reader_peak(f) for f in files) if name == "new" else 0.0
            said = " | ".join(_said(a) for a in answers)
            print(f"{label:16} {name:6} {seconds:8.2f} {growth:8.0f} {readers:9.0f}  {said}")


# -- another user's page ----------------------------------------------------------------------


def page_during(args: argparse.Namespace) -> None:
    """In this process: the page's times with no upload and while `args.files` are read,
    in windows of `args.during` / `args.windows` seconds taking turns (the machine's load
    from elsewhere falls on both alike); the old reader, whose threads cannot be stopped,
    has one window of each. Prints them as JSON and exits at once."""
    import streamlit as st

    limit = int(args.old_memory_gb * 1024**3)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    module = _reader(args.reader)
    contents = [(path.name, path.read_bytes()) for path in args.files]

    def page() -> float:
        at = logged_in_app(
            args.url, API_KEY, args.users, args.db, username="manager", role="manager"
        )
        at.query_params["team"] = str(TEAM)
        at.run()
        st.cache_data.clear()  # the page's reads done again, as for a new period or team
        return timed_run(at.switch_page(PAGE))

    def window(seconds: float) -> list[float]:
        times, deadline = [], time.monotonic() + seconds
        while time.monotonic() < deadline or len(times) < 2:
            times.append(page())
        return times

    refused = [0]

    def upload(stop: threading.Event, name: str, content: bytes) -> None:
        while not stop.is_set():
            try:
                module.read_sheet(name, content)
            except module.SheetError:
                refused[0] += 1
            except MemoryError:
                return
            if args.reader:
                return  # the old reader: once is more than enough

    page(), page()  # warm: the imports, the first connections
    windows = 1 if args.reader else args.windows
    quiet, loud = [], []
    for _ in range(windows):
        quiet += window(args.during / windows)
        stop = threading.Event()
        threads = [threading.Thread(target=upload, args=(stop, *c), daemon=True) for c in contents]
        for thread in threads:
            thread.start()
        loud += window(args.during / windows)
        stop.set()
        if not args.reader:
            for thread in threads:
                thread.join()
    print(json.dumps({"before": quiet, "during": loud, "refused": refused[0]}), flush=True)
    os._exit(0)


def _reader(path: Path | None):
    if path is None:
        from linksplus.console import bulk_sheet

        return bulk_sheet
    import importlib.util

    spec = importlib.util.spec_from_file_location("old_bulk_sheet", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # for its dataclasses
    spec.loader.exec_module(module)
    return module


def page_table(tmp: Path, url: str, db: str, users: Path, args, old: Path | None) -> None:
    pair = [tmp / BOMBS["20M empty rows"][0], tmp / BOMBS["400 MB string"][0]]
    wide = [tmp / BOMBS["450k-cell row"][0]] * 2
    runs = [("old", old, pair, "20M empty rows + 400 MB string")] if old else []
    runs += [("new", None, pair, "20M empty rows + 400 MB string, again and again")]
    runs += [("new", None, wide, "two 450k-cell rows, again and again")]
    print(f"\nA manager's Payments page, its reads not cached ({args.payments} payments), median:")
    for name, reader, files, what in runs:
        command = [sys.executable, __file__, "--page", url, db, str(users)]
        command += ["--files", *map(str, files), "--during", str(args.during)]
        command += ["--windows", str(args.windows), "--old-memory-gb", str(args.old_memory_gb)]
        command += ["--reader", str(reader)] if reader else []
        done = subprocess.run(
            command, capture_output=True, text=True, check=True, env={**os.environ}
        )
        out = json.loads(done.stdout.strip().splitlines()[-1])
        before, during = statistics.median(out["before"]), statistics.median(out["during"])
        print(
            f"  {name}: {before:.2f} s before, {during:.2f} s while reading {what} "
            f"(x{during / before:.2f}; {len(out['during'])} runs, {out['refused']} refusals)"
        )


def setup(url: str, tmp: Path, links: int, payments: int) -> tuple[str, Path]:
    """The team's links in the sandbox, their payments in a SQLite log, a manager."""
    import random

    from linksplus.client import LinksPlusClient
    from linksplus.console.users import UserRecord, hash_password, save_users

    seed_links(url, TEAM, links)
    ids = [ln.id for ln in LinksPlusClient(API_KEY, base_url=url).list_links(TEAM)]
    db = f"sqlite:///{tmp}/events.db"
    rnd, now = random.Random(23), datetime.now(UTC)
    write_payments(
        db,
        (
            (
                rnd.choice(ids),
                f"chrg_bomb_{i:07d}",
                rnd.randrange(2000, 500_000),
                "thb",
                "successful",
                now - timedelta(seconds=rnd.randrange(1, 20 * 86400)),
            )
            for i in range(payments)
        ),
        5000,
    )
    users = tmp / "users.yaml"
    save_users(
        users, [UserRecord("manager", "Manager", "", ["manager"], [TEAM], hash_password("pw"))]
    )
    return db, users


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default="eb13c5c", help="git revision of the old reader")
    parser.add_argument("--no-old", action="store_true")
    parser.add_argument("--pages-only", action="store_true")
    parser.add_argument("--during", type=float, default=40)
    parser.add_argument("--windows", type=int, default=4)
    parser.add_argument("--links", type=int, default=300)
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--old-memory-gb", type=float, default=8)
    parser.add_argument("--page", nargs=3, metavar=("URL", "DB", "USERS"))
    parser.add_argument("--files", nargs="+", type=Path, default=[])
    parser.add_argument("--reader", type=Path)
    args = parser.parse_args()
    if args.page:
        args.url, args.db, args.users = args.page[0], args.page[1], Path(args.page[2])
        page_during(args)
        return

    tmp = Path(tempfile.mkdtemp(prefix="bench-bombs-"))
    for name, make in BOMBS.values():
        (tmp / name).write_bytes(make())
    old = None
    if not args.no_old:
        old = tmp / "old_bulk_sheet.py"
        source = subprocess.run(
            ["git", "show", f"{args.old}:linksplus/console/bulk_sheet.py"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        old.write_bytes(source)
    if not args.pages_only:
        files_table(tmp, old, args.old_memory_gb)
    with sandbox(tmp, API_KEY) as url:
        db, users = setup(url, tmp, args.links, args.payments)
        page_table(tmp, url, db, users, args, old)


if __name__ == "__main__":
    main()
