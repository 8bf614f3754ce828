"""Benchmark: a year of a busy team (issue 22) — the links mirror against reading the API.

One sandbox at 40 ms a request (`/_sandbox/faults` latency) with a team of 150,000 links
and one of 1,000, one SQLite database (event log and workspace). Times, as medians of
--rounds runs, the mirror's path and today's (the whole list from the API) alternating:

  * the first sync of 150,000 links (time, requests), and a page read while it fills;
  * the Links page's data, first complete view in a fresh process (warm mirror): the page
    of 50 rows with its count, template names and payment counts; today: every link from
    the API, the frame and its payment counts prepared; the process's peak RSS growth
    from the 1,000-link team to the 150,000-link one;
  * a refresh after 20 new links (time, API requests) and the page read after it;
  * a filter change (five filters: SQL count + page; today: a mask over the frame);
  * Team performance after one new payment (AppTest, the page's server time) at 500,000
    payments over 20,000 links and 25,000 over 1,000: payment_links (kept per move) plus
    the tail, against today's GROUP BY over every payment.

    .venv/bin/python bench/links_at_scale.py [--links 150000] [--rounds 3]
        [--no-perf | --only-perf]
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
from pathlib import Path

from harness import ROOT, sandbox, seed_links

from linksplus.client import LinksPlusClient
from linksplus.sandbox.controls_client import SandboxControls

API_KEY = "skey_test_bench_scale_key"
BIG, SMALL = 101, 102
PERF_BIG, PERF_SMALL = 201, 202


class Counted(LinksPlusClient):
    """A client counting the requests it sends."""

    requests = 0

    def _request(self, *args, **kwargs):
        type(self).requests += 1
        return super()._request(*args, **kwargs)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the fresh processes ------------------------------------------------------------------


def child(path: str, url: str, db: str, team: int) -> None:
    """One first complete view of the Links page's data in this fresh process; prints JSON."""
    import pandas as pd  # noqa: F401  (imported before the baseline, as in the app)

    from linksplus.console.links_query import LinksQuery
    from linksplus.console.links_table import (
        display_frame,
        links_frame,
        prepare_links,
        with_payments,
    )
    from linksplus.eventlog import EventLog
    from linksplus.eventlog.engine import make_engine
    from linksplus.workspace.links_mirror import LinksMirror
    from linksplus.workspace.schema import ensure_schema

    base = rss_mb()
    started = time.perf_counter()
    client = Counted(API_KEY, base_url=url)
    log = EventLog(db)
    if path == "mirror":
        engine = make_engine(db)
        ensure_schema(engine)
        mirror = LinksMirror(engine)
        # The page asks for new links in the background and shows what the mirror has.
        threading.Thread(target=mirror.sync, args=(client, team), daemon=True).start()
        fresh = mirror.freshness(team)
        names = {t.id: t.name for t in client.list_templates(team)}
        query = LinksQuery(engine, team)
        total, page = query.count(), query.page(1, names)
        paid = log.totals_by_link(None, None, page["id"].tolist())
        shown = display_frame(with_payments(page, paid), "Asia/Bangkok")
        rows = (total, len(shown), fresh.links)
    else:
        links = client.list_links(team)
        templates = client.list_templates(team)
        frame = links_frame(links, templates)
        paid = log.totals_by_link(None, None, frame["id"].tolist())
        prepared = prepare_links(frame, paid, "Asia/Bangkok")
        shown = prepared.display.slice(0, 50).to_pandas()
        rows = (len(prepared.frame), len(shown), len(links))
    took = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": took,
                "requests": Counted.requests,
                "growth_mb": peak_mb() - base,
                "rows": rows,
            }
        )
    )
    os._exit(0)  # not waiting for the background sync: the view is what is timed


def fresh_view(path: str, url: str, db: str, team: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, __file__, "--child", path, url, db, str(team)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- in this process ----------------------------------------------------------------------


def first_sync(url: str, engine, team: int) -> dict:
    """The first sync, with page reads of the mirror while it fills (it must not block)."""
    from linksplus.console.links_query import LinksQuery
    from linksplus.workspace.links_mirror import LinksMirror

    client = Counted(API_KEY, base_url=url)
    Counted.requests = 0
    mirror = LinksMirror(engine)
    reads: list[tuple[float, int]] = []
    done = threading.Event()

    def read_while_filling():
        while not done.is_set():
            t = time.perf_counter()
            query = LinksQuery(engine, team)
            query.count(), query.page(1)
            reads.append((time.perf_counter() - t, mirror.freshness(team).links))
            time.sleep(0.5)

    reader = threading.Thread(target=read_while_filling)
    reader.start()
    started = time.perf_counter()
    result = mirror.sync(client, team)
    took = time.perf_counter() - started
    done.set()
    reader.join()
    return {"seconds": took, "requests": Counted.requests, "result": result, "reads": reads}


def refresh_after_new(url: str, engine, team: int, template_id: int, n: int, new: int) -> dict:
    """`new` links made, then the mirror's refresh and page; today's: the whole list."""
    from linksplus.console.links_query import LinksQuery
    from linksplus.workspace.links_mirror import LinksMirror

    maker = LinksPlusClient(API_KEY, base_url=url)
    for i in range(new):
        maker.create_link(template_id=template_id, team_id=team, name=f"New {n}-{i}", amount=50_000)
    client = Counted(API_KEY, base_url=url)
    Counted.requests = 0
    started = time.perf_counter()
    result = LinksMirror(engine).refresh(client, team)
    query = LinksQuery(engine, team)
    query.count(), query.page(1)
    mirror = {"seconds": time.perf_counter() - started, "requests": Counted.requests}
    assert result.new == new, result
    Counted.requests = 0
    started = time.perf_counter()
    client.list_links(team)
    today = {"seconds": time.perf_counter() - started, "requests": Counted.requests}
    return {"mirror": mirror, "today": today}


def filter_changes(url: str, engine, db: str, team: int, rounds: int) -> dict:
    """Five filter changes, SQL against a mask over today's prepared frame (built once)."""
    from linksplus.console.links_query import LinksQuery
    from linksplus.console.links_table import LinkFilters, links_frame, prepare_links
    from linksplus.eventlog import EventLog

    filters = [
        LinkFilters(text="seeded link 1499"),
        LinkFilters(statuses=("used",)),
        LinkFilters(text="new", usage="single"),
        LinkFilters(currency="thb", amount_min=40_000, amount_max=60_000),
        LinkFilters(age="0-3"),
    ]
    client = LinksPlusClient(API_KEY, base_url=url)
    frame = links_frame(client.list_links(team))
    paid = EventLog(db).totals_by_link(None, None, frame["id"].tolist())
    prepared = prepare_links(frame, paid, "Asia/Bangkok")
    out: dict[str, list[float]] = {"mirror": [], "today": []}
    for _ in range(rounds):
        for f in filters:
            started = time.perf_counter()
            query = LinksQuery(engine, team, f, "Asia/Bangkok")
            query.count(), query.page(1)
            out["mirror"].append(time.perf_counter() - started)
            started = time.perf_counter()
            mask = prepared.mask(f)
            prepared.shown(mask).slice(0, 50).to_pandas()
            out["today"].append(time.perf_counter() - started)
    return out


def team_performance(url: str, db: str, tmp: Path, args) -> dict:
    """Team performance's server time after a new payment (AppTest), payment_links + tail
    against today's GROUP BY over every payment, alternating; big and small teams."""
    import team_performance as tp

    from linksplus.console import performance as perf
    from linksplus.console.users import UserRecord, hash_password, save_users

    tp.API_KEY = API_KEY
    big = tp.seed(url, PERF_BIG, args.perf_links)
    small = tp.seed(url, PERF_SMALL, args.small_perf_links)
    pw = hash_password("bench-password")
    people = [UserRecord("manager", "Manager", "", ["manager"], [PERF_BIG, PERF_SMALL], pw)]
    for team, links in ((PERF_BIG, big), (PERF_SMALL, small)):
        sellers = [f"s{team}_{i}" for i in range(5)]
        people += [UserRecord(s, s.title(), "", ["sales"], [team], pw) for s in sellers]
        tp.record_owners(db, team, links, sellers)
    users = tmp / "users.yaml"
    save_users(users, people)
    took = tp.write_payments(db, big, args.payments, 1, "big")
    took += tp.write_payments(db, small, args.small_payments, 2, "small")
    print(f"wrote {args.payments + args.small_payments:,} payments in {took:.1f} s")
    kept = perf.paid_by_link

    def today(log, ids):
        ids = [int(i) for i in ids]
        rows = log.read_at_mark(lambda upto: perf.paid_by_link_query(ids, log.backend, upto))
        return perf.paid_frame(rows)

    out: dict[str, list[float]] = {}
    for n in range(args.rounds):
        for name, fn in (("kept", kept), ("today", today)):
            perf.paid_by_link = fn
            for size, team, links in (("big", PERF_BIG, big), ("small", PERF_SMALL, small)):
                tag = f"{name}_{size}_{n}"
                times = tp.measure(url, db, users, team, links, tag, n)
                out.setdefault(f"{name} {size}", []).append(times["new payment"])
    perf.paid_by_link = kept
    return out


# -- the run ------------------------------------------------------------------------------


def median_ms(values) -> str:
    return f"{statistics.median(values) * 1000:,.0f} ms"


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5], int(sys.argv[5]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=150_000)
    parser.add_argument("--small-links", type=int, default=1_000)
    parser.add_argument("--latency", type=int, default=40)
    parser.add_argument("--new", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--perf-links", type=int, default=20_000)
    parser.add_argument("--payments", type=int, default=500_000)
    parser.add_argument("--small-perf-links", type=int, default=1_000)
    parser.add_argument("--small-payments", type=int, default=25_000)
    parser.add_argument("--no-perf", action="store_true", help="skip Team performance")
    parser.add_argument("--only-perf", action="store_true", help="only Team performance")
    args = parser.parse_args()
    from linksplus.eventlog import EventLog
    from linksplus.eventlog.engine import make_engine
    from linksplus.workspace.schema import ensure_schema

    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    db = f"sqlite:///{tmp}/console.db"
    EventLog(db).count()  # the event log's tables (the mirror's SQL reads payment_links)
    engine = make_engine(db)
    ensure_schema(engine)
    with sandbox(tmp, API_KEY) as url:
        if args.only_perf:
            report_performance(url, db, tmp, args)
            return 0
        controls = SandboxControls(url)
        started = time.perf_counter()
        seed_links(url, BIG, args.links)
        seed_links(url, SMALL, args.small_links)
        print(
            f"seeded {args.links:,} + {args.small_links:,} links in "
            f"{time.perf_counter() - started:.1f} s"
        )
        template_id = LinksPlusClient(API_KEY, base_url=url).list_templates(BIG)[0].id
        controls.call("POST", "/faults", json={"latency_ms": args.latency})
        report_first_sync(url, engine, args)
        report_fresh_views(url, db, args)
        report_refreshes(url, engine, template_id, args)
        controls.call("POST", "/faults", json={"latency_ms": 0})
        report_filters(url, engine, db, args)
        if not args.no_perf:
            report_performance(url, db, tmp, args)
    return 0


def report_first_sync(url, engine, args) -> None:
    for team, n in ((SMALL, args.small_links), (BIG, args.links)):
        first = first_sync(url, engine, team)
        reads = first["reads"]
        slowest = max((t for t, _ in reads), default=0.0)
        print(
            f"\nfirst sync of {n:,} links at {args.latency} ms: {first['seconds']:.1f} s, "
            f"{first['requests']:,} requests; {len(reads)} page reads while it filled, "
            f"slowest {slowest * 1000:.0f} ms, showing "
            f"{', '.join(f'{c:,}' for _, c in reads[:6])}{' ...' if len(reads) > 6 else ''} links"
        )


def report_fresh_views(url, db, args) -> None:
    runs: dict[tuple[str, int], list[dict]] = {}
    for _ in range(args.rounds):
        for team in (BIG, SMALL):
            for path in ("mirror", "today"):
                runs.setdefault((path, team), []).append(fresh_view(path, url, db, team))
    print(
        f"\nLinks page data, first complete view in a fresh process ({args.latency} ms/request, "
        f"median of {args.rounds}):"
    )
    print(f"{'':10}{'150k: time':>14}{'requests':>10}{'1k: time':>12}{'RSS growth 1k->150k':>22}")
    for path in ("mirror", "today"):
        big, small = runs[(path, BIG)], runs[(path, SMALL)]
        growth = statistics.median(r["growth_mb"] for r in big) - statistics.median(
            r["growth_mb"] for r in small
        )
        print(
            f"{path:10}{median_ms([r['seconds'] for r in big]):>14}"
            f"{statistics.median(r['requests'] for r in big):>10.0f}"
            f"{median_ms([r['seconds'] for r in small]):>12}{growth:>19.1f} MB"
        )


def report_refreshes(url, engine, template_id, args) -> None:
    runs = [
        refresh_after_new(url, engine, BIG, template_id, n, args.new) for n in range(args.rounds)
    ]
    print(
        f"\nrefresh after {args.new} new links ({args.latency} ms/request, median of "
        f"{args.rounds}):"
    )
    for path in ("mirror", "today"):
        times = [r[path]["seconds"] for r in runs]
        requests = max(r[path]["requests"] for r in runs)
        print(f"  {path:8}{median_ms(times):>12}   at most {requests:,} requests")


def report_filters(url, engine, db, args) -> None:
    out = filter_changes(url, engine, db, BIG, args.rounds)
    print(f"\nfilter change on {args.links:,} links (5 filters x {args.rounds}, median; max):")
    for path in ("mirror", "today"):
        print(f"  {path:8}{median_ms(out[path]):>12}   max {max(out[path]) * 1000:,.0f} ms")


def report_performance(url, db, tmp, args) -> None:
    out = team_performance(url, db, tmp, args)
    print(
        f"\nTeam performance after a new payment (AppTest server time, median of "
        f"{args.rounds}); big = {args.perf_links:,} links / {args.payments:,} payments, "
        f"small = {args.small_perf_links:,} / {args.small_payments:,}:"
    )
    for path in ("kept", "today"):
        big = statistics.median(out[f"{path} big"])
        small = statistics.median(out[f"{path} small"])
        print(
            f"  {path:8}big {big * 1000:>7,.0f} ms   small {small * 1000:>6,.0f} ms   "
            f"ratio {big / small:.2f}"
        )


if __name__ == "__main__":
    sys.exit(main())
