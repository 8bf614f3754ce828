"""Creating an upload's links: each row once, a few at a time, resumable after anything.

Every row's outcome is stored in the workspace as it happens. Before a row is sent its
first attempt time is stored; a row sent before (a crash, a closed tab, an error) is sent
again only through the client's create check from that time (is its link already among
the team's newest?), with the same Idempotency-Key. So running an upload again never makes
a row's link twice. When Links+ fails, no new row is started: the rows done stay done and
the rest wait for the next run (Resume).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from io import BytesIO
from zipfile import ZIP_STORED, ZipFile

from linksplus.client import LinksPlusClient
from linksplus.console.make_link import LinkRequest, UploadRowRef, make_link
from linksplus.console.qr import qr_print_png
from linksplus.errors import LinksPlusError, ValidationError
from linksplus.money import format_amount
from linksplus.workspace.customers import Customer, move_row_customer, row_customers
from linksplus.workspace.store import DONE, FAILED, UploadRow, Workspace

CONCURRENCY = 8
_KEYS = uuid.UUID("5d1b7e0c-3c55-4c1e-9a43-6b2f0f0e2a11")


def row_idempotency_key(upload_id: str, row_no: int) -> str:
    """The same key for a row on every attempt, in every process."""
    return str(uuid.uuid5(_KEYS, f"{upload_id}:{row_no}"))


@dataclass(frozen=True)
class RunResult:
    """How an upload stands after a run: rows done, failed (waiting for Resume), and the
    first error that stopped the run (None when every row was done)."""

    done: int
    failed: int
    waiting: int
    error: str | None


@dataclass
class _Run:
    """One run of an upload: what making each row needs, the errors so far, and the flag
    that stops new rows from starting."""

    ws: Workspace
    client: LinksPlusClient
    upload_id: str
    username: str
    team_id: int
    stop: threading.Event = field(default_factory=threading.Event)
    errors: list[str] = field(default_factory=list)
    customers: dict[int, Customer] = field(default_factory=dict)  # by row_no

    def make_row(self, row: UploadRow) -> bool:
        """Make one row's link and mark the row done (True); or store why not, in the row
        and in `errors`, and stop the run when Links+ or the records are failing (False)."""
        if self.stop.is_set():
            return False  # Links+ is failing: leave the row waiting for Resume
        p = row.params
        made_since = self.ws.mark_sending(self.upload_id, p.row_no)
        try:
            made = make_link(
                self.client,
                self.ws,
                LinkRequest(
                    template_id=p.template_id,
                    name=p.name,
                    amount=p.amount,
                    currency=p.currency,
                    multiple_usage=p.multiple_usage,
                    additional=p.note,
                ),
                team_id=self.team_id,
                made_by=self.username,
                how="bulk",
                upload=UploadRowRef(self.upload_id, p.row_no),
                idempotency_key=row_idempotency_key(self.upload_id, p.row_no),
                made_since=made_since,
            )
        except LinksPlusError as exc:  # ValidationError too: this row only, others go on
            self.ws.mark_failed(self.upload_id, p.row_no, str(exc))
            self.errors.append(f"Row {p.row_no}: {exc}")
            if not isinstance(exc, ValidationError):
                self.stop.set()
            return False
        if made.record_error is not None:
            # The link exists but its row is not marked done: the row stays sent, and
            # Resume finds the link through the create check instead of making another.
            self.errors.append(f"Row {p.row_no}: {made.record_error}")
            self.stop.set()
            return False
        if p.row_no in self.customers:  # the row's customer becomes the link's
            try:
                move_row_customer(
                    self.ws, self.upload_id, p.row_no, made.link.id, self.team_id, self.username
                )
            except Exception as exc:  # the link is made; only its customer is not noted yet
                self.errors.append(f"Row {p.row_no}: {type(exc).__name__}")
        return True


def run_upload(
    ws: Workspace,
    client: LinksPlusClient,
    upload_id: str,
    *,
    username: str,
    team_id: int,
    concurrency: int = CONCURRENCY,
    on_progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Create the links of every row of `username`'s upload not done yet, `concurrency` at
    once; `on_progress(done, total)` after each row (called from this thread)."""
    rows = ws.upload_rows(upload_id, username)
    total = len(rows)
    todo = [r for r in rows if r.state != DONE]
    done = total - len(todo)
    run = _Run(ws, client, upload_id, username, team_id, customers=row_customers(ws, upload_id))
    if on_progress:
        on_progress(done, total)
    with ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="bulk") as pool:
        futures = [pool.submit(run.make_row, row) for row in todo]
        try:
            for future in as_completed(futures):
                if future.result():
                    done += 1
                    if on_progress:
                        on_progress(done, total)
        finally:
            run.stop.set()  # an interrupted run (the page left) starts nothing new
    counts = ws.upload_counts(upload_id)
    failed = counts.get(FAILED, 0)
    return RunResult(
        done=counts.get(DONE, 0),
        failed=failed,
        waiting=total - counts.get(DONE, 0) - failed,
        error=run.errors[0] if run.errors else None,
    )


def qr_zip(rows: Iterable[UploadRow]) -> bytes:
    """A ZIP of print cards (QR code, name, amount), one PNG per created link."""
    buf = BytesIO()
    with ZipFile(buf, "w", ZIP_STORED) as archive:  # PNGs are compressed already
        for row, png in _cards(rows):
            archive.writestr(f"row-{row.params.row_no:04d}-link-{row.link_id}.png", png)
    return buf.getvalue()


def _cards(rows: Iterable[UploadRow]) -> Iterator[tuple[UploadRow, bytes]]:
    for row in rows:
        if row.state == DONE and row.payment_url:
            p = row.params
            amount = format_amount(p.amount, p.currency, code=True)
            yield row, qr_print_png(row.payment_url, p.name, amount)
