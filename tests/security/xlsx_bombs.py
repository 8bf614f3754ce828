"""Hostile .xlsx files, written as a stream (a 400 MB sheet costs this process a megabyte),
and a probe that uploads them to the bulk sheet reader in an app process of its own.

    python tests/security/xlsx_bombs.py [--reader PATH] [--memory-gb 3] FILE [FILE ...]

reads each FILE with `read_sheet` (every file at once, one thread each), as the app does
with an upload, and prints one JSON object: each file's answer (its rows or its sentence)
and seconds, the process's memory growth in MB (its peak resident size over the size it
had before the reads), its peak, and how many child processes it still has. --reader loads
`read_sheet` from another bulk_sheet.py (an old one, for a before-and-after bench).
The probe limits its own address space (--memory-gb) so that an old reader fails fast
rather than taking the machine's memory.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator

PROBE_MEMORY = 3 * 1024**3

_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" '
    b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Links" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
# No <dimension>: the sheet does not say how large it is.
_SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_END = b"</sheetData></worksheet>"


def workbook(sheet_rows: Iterable[bytes]) -> bytes:
    """A minimal .xlsx whose one sheet's <sheetData> is `sheet_rows`, written as they come."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_START)
            for chunk in sheet_rows:
                sheet.write(chunk)
            sheet.write(_SHEET_END)
    return buf.getvalue()


def row(number: int, *values: str) -> bytes:
    """A <row> of inline strings in columns A, B, ..."""
    cells = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>'
        for i, v in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'.encode()


def _links(count: int) -> Iterator[bytes]:
    yield row(1, "name", "amount", "currency", "template")
    for n in range(2, count + 2):
        yield row(n, f"Deposit {n}", f"{100 + n}.50", "thb", "Shop")


def empty_rows_bomb(rows: int = 20_000_000) -> bytes:
    """Two rows of links, then `rows` empty rows (<row/>): 176 KB packed, 120 MB unpacked."""
    block = b"<row/>" * 100_000

    def chunks() -> Iterator[bytes]:
        yield from _links(1)
        for _ in range(rows // 100_000):
            yield block

    return workbook(chunks())


def long_string_bomb(size: int = 400 * 1024 * 1024) -> bytes:
    """A header and one cell holding `size` characters inline: 390 KB packed."""
    block = b"A" * (1024 * 1024)

    def chunks() -> Iterator[bytes]:
        yield row(1, "name", "amount")
        yield b'<row r="2"><c r="A2" t="inlineStr"><is><t>'
        for _ in range(size // len(block)):
            yield block
        yield b'</t></is></c><c r="B2" t="inlineStr"><is><t>100</t></is></c></row>'

    return workbook(chunks())


def wide_row_bomb(cells: int = 450_000) -> bytes:
    """A header and one row of `cells` numbers: 9 MB unpacked, within every archive limit,
    and hundreds of MB once parsed."""

    def chunks() -> Iterator[bytes]:
        yield row(1, "name", "amount")
        yield b'<row r="2">'
        for start in range(0, cells, 10_000):
            yield b"".join(b"<c><v>%d</v></c>" % n for n in range(start, start + 10_000))
        yield b"</row>"

    return workbook(chunks())


def far_row_sheet(links: int = 3, far: int = 20_000_000) -> bytes:
    """`links` rows of links, then one empty row numbered `far`: a sheet of 20,000,000 rows
    in 1 KB."""
    return workbook([*_links(links), f'<row r="{far}"/>'.encode()])


# -- the probe: an app process of its own ---------------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def _children() -> int:
    import glob

    return sum(len(open(p).read().split()) for p in glob.glob("/proc/self/task/*/children"))


def _probe(argv: list[str]) -> None:
    import argparse
    import contextlib
    import importlib.util
    import json
    import resource
    import sys
    import threading
    import time
    from pathlib import Path

    parser = argparse.ArgumentParser()
    parser.add_argument("--reader", type=Path)
    parser.add_argument("--memory-gb", type=float, default=PROBE_MEMORY / 1024**3)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    limit = int(args.memory_gb * 1024**3)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if args.reader:
        spec = importlib.util.spec_from_file_location("old_bulk_sheet", args.reader)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # for its dataclasses
        spec.loader.exec_module(module)
    else:
        from linksplus.console import bulk_sheet as module
    contents = [(path.name, path.read_bytes()) for path in args.files]
    answers: list[dict] = [{} for _ in contents]

    def read(i: int, name: str, content: bytes) -> None:
        started = time.perf_counter()
        try:
            rows = module.read_sheet(name, content)
            answers[i]["rows"] = [[r.row_no, r.values] for r in rows]
        except module.SheetError as exc:
            answers[i]["sentence"] = str(exc)
        except BaseException as exc:  # what the app would have shown: a traceback
            answers[i]["exception"] = type(exc).__name__
        answers[i]["seconds"] = time.perf_counter() - started

    with contextlib.suppress(OSError):  # the peak so far reset to now: the reads alone count
        Path("/proc/self/clear_refs").write_text("5")
    before = _status_kb("VmRSS")
    threads = [threading.Thread(target=read, args=(i, *c)) for i, c in enumerate(contents)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    growth = (_status_kb("VmHWM") - before) / 1024
    print(
        json.dumps(
            {
                "answers": answers,
                "growth_mb": growth,
                "peak_mb": _status_kb("VmHWM") / 1024,
                "children": _children(),
            }
        )
    )


if __name__ == "__main__":
    import sys

    _probe(sys.argv[1:])
