"""Reading an uploaded sheet with its cost bounded before the work is done.

`collect_rows` takes a sheet's rows one at a time and keeps the non-blank ones as text,
refusing the sheet at the first row, cell or character past the limits below.
`read_xlsx` reads an Excel workbook's first sheet that way in a child process: a fresh
interpreter running this file, which caps its own memory before it reads a byte, checks the
archive's parts (how many, their unpacked sizes, how far each one unpacks) before openpyxl
opens anything, and is killed when it runs past `TIME_LIMIT`. Every refusal is a `Refused`
with a reason and its figures; `bulk_sheet` turns it into a sentence in the reader's
language (the child knows no language).

This file imports only the standard library: run as a script with ``python -I`` it must
work without the rest of linksplus, whose import would cost the child time and memory.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterable, Iterator, Sequence

MAX_ROWS = 1000  # data rows, after the header
MAX_CELL_CHARS = 1000
MAX_TEXT_CHARS = 1_000_000  # a thousand rows of the six columns, long notes, fit in a third
MAX_CELLS = 100_000  # cells read, empty ones included
BLANK_RUN = 1000  # this many empty rows in a row end the sheet
MAX_PARTS = 100
MAX_PART_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 30 * 1024 * 1024
MAX_RATIO = 100  # real sheets unpack to 5-20 times their packed size
RATIO_FROM_BYTES = 1024 * 1024  # small parts may unpack further, at no cost
TIME_LIMIT = 5.0  # seconds, from the child's start to its answer
MEMORY_LIMIT = 200 * 1024 * 1024  # the child's address space
CHILDREN = 2  # files read at once; a third waits for one of them

log = logging.getLogger(__name__)
_slots = threading.BoundedSemaphore(CHILDREN)


class Refused(Exception):
    """The sheet is refused: `reason` names the limit, `details` its figures."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason, details)
        self.reason = reason
        self.details = details


def cell_text(value: object) -> str:
    """A cell as the text it shows: numbers without a needless ``.0``, booleans as yes/no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def collect_rows(
    rows: Iterable[Sequence[object]], *, blank_run: int | None = None
) -> list[tuple[int, list[str]]]:
    """The non-blank rows of `rows` as (row number from 1, cells as text), trailing empty
    cells dropped. A formula, a cell over `MAX_CELL_CHARS`, more than `MAX_CELLS` cells,
    `MAX_TEXT_CHARS` characters or `MAX_ROWS` + 1 rows (header included) is refused at
    once, before the next row is read. After `blank_run` empty rows in a row the sheet
    ends: spreadsheets pad their end with empty rows, millions of them at no cost in the file.
    """
    kept: list[tuple[int, list[str]]] = []
    cells = chars = blanks = 0
    for row_no, row in enumerate(rows, start=1):
        cells += len(row)
        if cells > MAX_CELLS:
            raise Refused("cells", limit=MAX_CELLS)
        texts = [cell_text(v) for v in row]
        while texts and not texts[-1]:
            texts.pop()
        if not texts:
            blanks += 1
            if blank_run is not None and blanks >= blank_run:
                break
            continue
        blanks = 0
        for column, text in enumerate(texts):
            if text.startswith("="):
                raise Refused("formula", row=row_no, column=column)
            if len(text) > MAX_CELL_CHARS:
                raise Refused("cell", row=row_no, column=column, length=len(text))
        chars += sum(len(t) for t in texts)
        if chars > MAX_TEXT_CHARS:
            raise Refused("text", limit=MAX_TEXT_CHARS)
        kept.append((row_no, texts))
        if len(kept) > MAX_ROWS + 1:
            raise Refused("rows", limit=MAX_ROWS)
    return kept


def check_archive(archive: zipfile.ZipFile) -> None:
    """Refuses a workbook whose parts are too many, or unpack too large or too far; the
    sizes are those the archive declares, which zipfile holds each part to when read."""
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        raise Refused("parts", count=len(parts), limit=MAX_PARTS)
    total = sum(p.file_size for p in parts)
    biggest = max(parts, key=lambda p: p.file_size, default=None)
    if total > MAX_UNPACKED_BYTES or (biggest and biggest.file_size > MAX_PART_BYTES):
        raise Refused("unpacked", size=total, limit=MAX_UNPACKED_BYTES)
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > RATIO_FROM_BYTES and ratio > MAX_RATIO:
            raise Refused("ratio", ratio=int(ratio), limit=MAX_RATIO)


def read_xlsx(content: bytes) -> list[tuple[int, list[str]]]:
    """The non-blank rows of the workbook's first sheet, as `collect_rows` gives them, read
    in a child process with at most `MEMORY_LIMIT` of memory and `TIME_LIMIT` seconds."""
    time_limit = TIME_LIMIT
    if not _slots.acquire(timeout=time_limit):
        raise Refused("busy")
    try:
        returncode, out, err = _run_child(content, time_limit)
    finally:
        _slots.release()
    try:
        answer = json.loads(out) if returncode == 0 else None
    except ValueError:
        answer = None
    if answer is None:
        # Died without an answer: out of memory where it could not say so, or killed.
        log.warning("xlsx reader exited with %s: %s", returncode, err[-500:])
        raise Refused("memory" if b"MemoryError" in err else "crashed")
    if "refused" in answer:
        raise Refused(answer.pop("refused"), **answer)
    return [(row_no, cells) for row_no, cells in answer["rows"]]


def _child_command() -> list[str]:
    """This file as a script, in a fresh interpreter isolated from the environment."""
    return [sys.executable, "-I", os.path.abspath(__file__), str(MEMORY_LIMIT)]


def _run_child(content: bytes, time_limit: float) -> tuple[int | None, bytes, bytes]:
    try:
        child = subprocess.Popen(
            _child_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # The reader of strangers' files holds none of the console's settings or keys.
            env={k: v for k, v in os.environ.items() if not k.startswith("LINKSPLUS_")},
        )
    except OSError as exc:
        log.warning("xlsx reader could not start: %s", exc)
        raise Refused("crashed") from None
    try:
        out, err = child.communicate(content, timeout=time_limit)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise Refused("time", seconds=time_limit) from None
    return child.returncode, out, err


def _read_first_sheet(content: bytes) -> list[tuple[int, list[str]]]:
    """In the child: the archive checked, then the first sheet streamed row by row."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise Refused("broken", error=type(exc).__name__) from None
    check_archive(archive)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    try:
        sheet = book.worksheets[0]
        # A sheet's declared size may be wrong or a lie: its rows are read as they come.
        sheet.reset_dimensions()
        return collect_rows(
            _formulas_as_text(sheet.iter_rows(values_only=True)), blank_run=BLANK_RUN
        )
    finally:
        book.close()


def _formulas_as_text(rows: Iterable[Sequence[object]]) -> Iterator[Sequence[object]]:
    """openpyxl's rows with its array and data-table formulas as formula text ("=..."), as
    it gives every other formula, for `collect_rows` to refuse."""
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    def text(value: object) -> object:
        if isinstance(value, ArrayFormula):
            return value.text or "="
        return "=" if isinstance(value, DataTableFormula) else value

    for row in rows:
        if any(isinstance(v, ArrayFormula | DataTableFormula) for v in row):
            row = [text(v) for v in row]
        yield row


def _child_main(memory_limit: int) -> int:
    """The child: limits itself, reads the workbook from stdin, answers JSON on stdout."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    cpu = int(TIME_LIMIT) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    os.nice(10)  # other people's pages come first
    # openpyxl uses numpy when it finds it, for nothing a read needs: 0.2 s and 30 MB saved.
    sys.modules["numpy"] = None  # type: ignore[assignment]
    try:
        answer: dict = {"rows": _read_first_sheet(sys.stdin.buffer.read())}
    except Refused as refused:
        answer = {"refused": refused.reason, **refused.details}
    except MemoryError:
        answer = {"refused": "memory"}
    except Exception as exc:  # whatever else breaks the reading, the file is at fault
        answer = {"refused": "broken", "error": type(exc).__name__}
    sys.stdout.buffer.write(json.dumps(answer, ensure_ascii=False).encode())
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(int(sys.argv[1])))
