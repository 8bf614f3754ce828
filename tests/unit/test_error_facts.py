"""Errors carry the facts of a failure; the app's words for them are written in
`linksplus.ui.messages`, and stay what a person has always read."""

from __future__ import annotations

import orjson
import pytest
import requests
from requests.adapters import BaseAdapter

from linksplus import AuthenticationError, BadRequestError, LinksPlusClient, ServerError
from linksplus.errors import APIConnectionError, error_from_response
from linksplus.ui.messages import error_notice

KEY = "skey_test_error_facts_0123456789"


class Answer(BaseAdapter):
    """A transport that answers every request with one canned response."""

    def __init__(self, status: int, body: object, headers: dict[str, str]):
        super().__init__()
        self.status, self.body, self.headers = status, body, headers

    def send(self, request, **kwargs):
        resp = requests.Response()
        resp.status_code = self.status
        resp._content = self.body if isinstance(self.body, bytes) else orjson.dumps(self.body)
        resp.headers.update(self.headers)
        resp.request, resp.url = request, request.url
        return resp

    def close(self):
        pass


def failing(status: int, body: object, headers: dict[str, str]) -> Exception:
    session = requests.Session()
    session.mount("https://", Answer(status, body, headers))
    client = LinksPlusClient(KEY, base_url="https://links.example", session=session, max_retries=0)
    with pytest.raises(Exception) as info:
        client.get_template(5)
    return info.value


def test_an_answered_error_keeps_status_code_message_field_and_request_id():
    body = {"object": "error", "code": "bad_request", "message": "amount is too small"}
    error = failing(400, {**body, "field": "amount"}, {"x-request-id": "req_7Hs2"})
    assert isinstance(error, BadRequestError)
    assert (error.status, error.code, error.server_message, error.field, error.request_id) == (
        400,
        "bad_request",
        "amount is too small",
        "amount",
        "req_7Hs2",
    )
    # For logs and library users: the request id to quote, and never the key.
    assert str(error) == "Request req_7Hs2: Links+ refused the request: amount is too small."
    assert KEY not in str(error) and KEY not in repr(error) and "req_7Hs2" in repr(error)


def test_without_a_request_id_header_the_error_says_none():
    error = failing(503, b"<html>busy</html>", {})
    assert isinstance(error, ServerError)
    assert (error.status, error.request_id, error.field, error.server_message) == (
        503,
        None,
        None,
        None,
    )
    assert str(error) == error.message


def test_an_unreadable_success_keeps_its_request_id():
    error = failing(200, b"not json", {"X-Request-Id": "req_unread"})
    assert isinstance(error, ServerError) and error.request_id == "req_unread"


def test_the_person_reads_the_same_sentences_whatever_the_request_id():
    auth = error_from_response(401, {"code": "authentication_failure"}, {"X-Request-Id": "r1"})
    assert isinstance(auth, AuthenticationError) and str(auth).startswith("Request r1: ")
    notice = error_notice(auth, what="The links could not be loaded.")
    assert (notice.level, notice.text, notice.icon) == (
        "error",
        "The links could not be loaded. Links\\+ did not accept the API key\\. Ask an admin "
        "to check the key in Settings\\. An admin sets the key in .streamlit/secrets.toml "
        "(`api_key`) or LINKSPLUS_API_KEY.",
        ":material/key_off:",
    )
    down = error_notice(APIConnectionError("Could not reach Links+ (timed out)."))
    assert (down.level, down.icon) == ("warning", ":material/cloud_off:")
    assert down.text == "Could not reach Links\\+ \\(timed out\\)\\."
    other = error_notice(KeyError("x"))
    assert other.text == (
        "Something went wrong (KeyError). Please try again; if it keeps happening, tell an admin."
    )
