"""Reading every visible word of an AppTest page, and telling English words that should
have been Thai from data (names people typed, ids, amounts, codes)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import cache

import pyarrow as pa
from babel.messages.pofile import read_po
from streamlit.testing.v1 import AppTest

from linksplus.i18n import LOCALE_DIR

# Proto fields that people read. Not `code_text` (st.code holds a URL or the customer's
# message, whose language the salesperson chooses) and not `value` (data).
_TEXT_FIELDS = {"label", "body", "placeholder", "help", "options", "content", "text", "caption"}
# Technical words that stay as they are in the Thai text: product and app names, file and
# setting names, acronyms.
ALLOWED = {
    "Links+", "Omise", "Console", "English", "Excel", "LINE", "WhatsApp", "raw", "basic", "bearer",
    "Basic", "Bearer", "Authorization", "bcrypt", "hash-password", "linksplus", "ms",
    "API", "yes", "no", "name", "amount", "currency", "template",
    "multiple", "use", "note", "true", "false", "sqlite", "postgresql",
}  # fmt: skip


_STYLE_ONLY = re.compile(r"\s*<style>[^<]*</style>\s*")


def visible_texts(at: AppTest) -> Iterator[tuple[str, str]]:
    """(element type, text) for every piece of text the page shows, labels and column
    headers included."""
    yield from _walk(at._tree)


def _walk(node) -> Iterator[tuple[str, str]]:
    proto = getattr(node, "proto", None)
    if proto is not None and hasattr(proto, "ListFields"):
        kind = type(node).__name__
        for text in _proto_texts(proto):
            if kind == "Html" and _STYLE_ONLY.fullmatch(text):
                continue  # the app's own CSS: nothing a person reads
            yield kind, text
        if proto.DESCRIPTOR.name == "Dataframe" and proto.columns:
            for name, config in json.loads(proto.columns).items():
                label = config.get("label") if isinstance(config, dict) else config
                yield "dataframe column", str(label or name)
        if proto.DESCRIPTOR.name == "Dataframe":
            yield from (("dataframe cell", cell) for cell in _cells(proto))
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _cells(proto) -> Iterator[str]:
    """The words of a table's text cells (status, use, dates: what the app words), each
    distinct one once; the cells holding data are told apart by `untranslated`."""
    raw = proto.arrow_data.data or proto.lazy_data.initial_chunk.data
    if not raw:
        return
    table = pa.ipc.open_stream(raw).read_all()
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            yield from (v for v in column.unique().to_pylist() if isinstance(v, str) and v)
        elif pa.types.is_dictionary(column.type):
            yield from (v for v in column.combine_chunks().dictionary.to_pylist() if v)


def _proto_texts(proto) -> Iterator[str]:
    for field, value in proto.ListFields():
        if field.name in ("code_text", "value", "default", "arrow_data", "spec", "datasets"):
            continue
        repeated = not isinstance(value, (str, bytes)) and not hasattr(value, "ListFields")
        if field.message_type is not None:
            for item in value if repeated else [value]:
                yield from _proto_texts(item)
        elif field.name in _TEXT_FIELDS and isinstance(value, str) and value:
            yield value
        elif field.name in _TEXT_FIELDS and repeated:
            yield from (v for v in value if isinstance(v, str) and v)


def english_msgid_fragments() -> set[str]:
    """The English text between the placeholders of every message in the catalog template:
    found on a Thai page, it is a message that was shown untranslated."""
    with (LOCALE_DIR / "messages.pot").open("rb") as f:
        template = read_po(f)
    out = set()
    for message in template:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for text in ids:
            for part in re.split(r"\{[^{}]*\}", _plain(text)):
                part = part.strip(" .,:;()“”\"'—–-…")
                words = re.findall(r"[A-Za-z]*[a-z][A-Za-z]*", _NOT_WORDS.sub(" ", part))
                if len(words) >= 2:  # a phrase of words, not one word or a setting's name
                    out.add(part)
    return out


@cache
def english_msgid_words() -> frozenset[str]:
    """The catalog's messages of one English word ("Paid", "Refused"): one of them on a Thai
    page is a word shown untranslated, even inside a Thai sentence. Lower-case ones are the
    bulk sheet's column names, which stay English (see `ALLOWED`)."""
    with (LOCALE_DIR / "messages.pot").open("rb") as f:
        template = read_po(f)
    out = set()
    for message in template:
        for text in message.id if isinstance(message.id, tuple) else (message.id,):
            word = (text or "").strip(" .,:;()…")
            if re.fullmatch(r"[A-Z][a-z]+", word) and word not in ALLOWED:
                out.add(word)
    return frozenset(out)


def english_words(text: str, data: Iterable[str]) -> list[str]:
    """The catalog's one-word messages left in English in `text` once data (names, ids,
    codes) is taken out: "สถานะ Paid" answers ["Paid"]."""
    plain = _plain(text)
    for item in sorted(data, key=len, reverse=True):
        if item:
            plain = plain.replace(item, " ")
    words = re.findall(r"[A-Za-z][A-Za-z'’-]*", _NOT_WORDS.sub(" ", plain))
    return [w for w in words if w in english_msgid_words()]


_ICON = re.compile(r"Links\+|:material/\w+:|:\w+\[|\]|\*\*|`[^`]*`|#+ |https?://\S+|\S+@\S+")
_NOT_WORDS = re.compile(r"\S*[\d_./\\=*]\S*")  # ids, amounts, files, settings, URLs


def _plain(text: str) -> str:
    return _ICON.sub(" ", text)


def english_runs(text: str, data: Iterable[str]) -> list[str]:
    """Runs of three or more English words left in `text` once data (names from the
    sandbox, ids, amounts, codes, file and setting names) and the allowed technical words
    are taken out: a sentence that was never put through the catalog."""
    plain = _plain(text)
    for item in sorted(data, key=len, reverse=True):
        if item:
            plain = plain.replace(item, " ")
    plain = _NOT_WORDS.sub(" ", plain)
    runs = []
    for chunk in re.split(r"[^A-Za-z'’ -]+", plain):
        words = [w for w in chunk.split() if w not in ALLOWED and not w.isupper()]
        if len(words) >= 3 and sum(any(c.islower() for c in w) for w in words) >= 2:
            runs.append(" ".join(words))
    return runs


def untranslated(at: AppTest, data: Iterable[str], fragments: set[str]) -> list[str]:
    """Every piece of text on a Thai page that shows English words: a catalog message left
    untranslated, a sentence never put through the catalog, or a label with no Thai."""
    return untranslated_texts(visible_texts(at), data, fragments)


def untranslated_texts(
    texts: Iterable[tuple[str, str]], data: Iterable[str], fragments: set[str]
) -> list[str]:
    """`untranslated`'s rules for any (kind, text) pairs: an AppTest page's elements, or
    the text a browser draws (tests/e2e/test_thai_screen.py)."""
    data = [d for d in data if d]
    problems = []
    for kind, text in texts:
        plain = _plain(text)
        for item in sorted(data, key=len, reverse=True):
            plain = plain.replace(item, " ")
        found = [f for f in fragments if f in plain]
        runs = english_runs(text, data)
        words = [
            w
            for w in re.findall(r"[A-Za-z][A-Za-z'’-]+", _NOT_WORDS.sub(" ", plain))
            if w not in ALLOWED and not w.isupper()
        ]
        no_thai = not re.search(r"[\u0e00-\u0e7f]", plain) and bool(words)
        if kind == "dataframe cell":  # data but for the words the app puts in cells
            found, runs, no_thai = [], [], False
        if found or runs or no_thai or english_words(text, data):
            problems.append(f"{kind}: {text!r}")
    return problems
