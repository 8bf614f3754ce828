"""The words a person reads for an error are written in `linksplus.ui.messages` only: the
errors keep facts, and each kind of failure still reads as the sentence it always did."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import requests
from requests.adapters import BaseAdapter

import linksplus
from linksplus import LinksPlusClient, errors
from linksplus.errors import (
    APIConnectionError,
    CreateUnconfirmedError,
    LinksPlusError,
    ValidationError,
    error_from_response,
)
from linksplus.ui.messages import error_sentence

PACKAGE = Path(linksplus.__file__).parent
# Words that tell a person what to do; they belong to the UI's sentences. The sandbox stands
# in for the Links+ service, so its words are the service's own messages, not ours.
PHRASES = ("Ask an admin", "try again", "Please", "Links page", "Check the", "Look for it")
OUTSIDE_UI = sorted(
    path
    for path in PACKAGE.rglob("*.py")
    if path.relative_to(PACKAGE).parts[0] not in {"ui", "sandbox"}
)


def strings_in_code(source: str) -> list[str]:
    """The string literals of `source` that code uses (f-string parts too), not docstrings."""
    tree = ast.parse(source)
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_no_module_outside_the_ui_writes_words_for_people():
    assert len(OUTSIDE_UI) > 20  # the walk found the package
    found = {
        f"{path.relative_to(PACKAGE)}: {text!r}"
        for path in OUTSIDE_UI
        for text in strings_in_code(path.read_text())
        for phrase in PHRASES
        if phrase.lower() in text.lower()
    }
    assert not found, "sentences for people belong in linksplus/ui/messages.py:\n" + "\n".join(
        sorted(found)
    )


class Answer(BaseAdapter):
    """A transport answering every request with `status` and `content`, or failing."""

    def __init__(self, status: int = 200, content: bytes = b"", fail: Exception | None = None):
        super().__init__()
        self.status, self.content, self.fail = status, content, fail

    def send(self, request, **kwargs):
        if self.fail is not None:
            raise self.fail
        resp = requests.Response()
        resp.status_code, resp._content = self.status, self.content
        resp.request, resp.url = request, request.url
        return resp

    def close(self):
        pass


def raised_by_client(adapter: Answer) -> LinksPlusError:
    session = requests.Session()
    session.mount("https://", adapter)
    client = LinksPlusClient("skey_test_words", base_url="https://links.example", session=session)
    client.max_retries = 0
    with pytest.raises(LinksPlusError) as info:
        client.get_template(5)
    return info.value


def answered(status: int, message: str | None = None, **headers: str) -> LinksPlusError:
    body = {"object": "error", "code": "some_code"}
    if message is not None:
        body["message"] = message
    return error_from_response(status, body, headers)


# What each failure reads as on screen (before Markdown escaping), as it always has.
CASES = {
    "refused": (
        lambda: answered(400, "amount is too small."),
        "Links+ refused the request: amount is too small.",
    ),
    "refused, no reason": (
        lambda: answered(400),
        "Links+ refused the request: a parameter is missing or invalid.",
    ),
    "field": (
        lambda: ValidationError("amount", "The amount must be at least 20.00 THB."),
        "The amount must be at least 20.00 THB.",
    ),
    "key": (
        lambda: answered(401, "bad key"),
        "Links+ did not accept the API key. Ask an admin to check the key in Settings.",
    ),
    "not found": (
        lambda: answered(404, "link 9 was not found"),
        "That link or template was not found. It may have been removed or belong to another team.",
    ),
    "rate limit": (
        lambda: answered(429, "Too many requests", **{"Retry-After": "12"}),
        "Links+ is receiving too many requests right now. Please try again in 12 seconds.",
    ),
    "rate limit, 1 s": (
        lambda: answered(429, **{"Retry-After": "1"}),
        "Links+ is receiving too many requests right now. Please try again in 1 second.",
    ),
    "rate limit, no wait": (
        lambda: answered(429),
        "Links+ is receiving too many requests right now. Please try again in a minute.",
    ),
    "server": (
        lambda: answered(503),
        "Links+ is having trouble right now (error 503). Please try again in a minute.",
    ),
    "unreadable": (
        lambda: raised_by_client(Answer(200, b"<html>")),
        "Links+ sent an answer that could not be read. Please try again in a minute.",
    ),
    "no connection": (
        lambda: raised_by_client(Answer(fail=requests.ConnectionError("refused"))),
        "Could not reach Links+ at https://links.example (connection failed). Check the "
        "connection and try again.",
    ),
    "timeout": (
        lambda: raised_by_client(Answer(fail=requests.ReadTimeout("slow"))),
        "Could not reach Links+ at https://links.example (timed out). Check the connection "
        "and try again.",
    ),
    "unconfirmed": (
        lambda: CreateUnconfirmedError("The create got no clear answer.", status=500),
        "Links+ did not answer, and it could not be checked whether your link was made. Look "
        "for it on the Links page before creating it again.",
    ),
    "other status": (
        lambda: answered(418, "I'm a teapot"),
        "Links+ answered with error 418: I'm a teapot.",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_each_failure_reads_as_it_always_did_and_its_message_keeps_the_facts(case):
    make, sentence = CASES[case]
    error = make()
    assert error_sentence(error) == sentence
    if not isinstance(error, ValidationError | CreateUnconfirmedError):
        # The facts, for logs: the status or what failed, never an instruction.
        assert error.message.startswith(str(error.status) if error.status else "No answer")
        assert not any(phrase.lower() in error.message.lower() for phrase in PHRASES)


def test_every_kind_of_error_has_its_own_sentence():
    kinds = set(errors.LinksPlusError.__subclasses__())
    for kind in list(kinds):
        kinds |= set(kind.__subclasses__())
    covered = {type(make()) for make, _ in CASES.values()}
    assert kinds <= covered, f"no sentence tested for {kinds - covered}"
    assert APIConnectionError in covered and LinksPlusError in covered
