"""The client over one pooled requests.Session, reading what the service may send:
lists without `total`, their envelope, 429 with Retry-After, and the documented auth."""

from __future__ import annotations

import logging
import threading
import time

import orjson
import pytest
import requests
from requests.adapters import HTTPAdapter

from linksplus import APIConnectionError, LinksPlusClient, RateLimitError
from linksplus import client as client_module
from linksplus.ui.markdown import md_escape
from linksplus.ui.messages import error_notice


class RecordingAdapter(HTTPAdapter):
    """Passes requests through, keeping what was sent; `rewrite` may change list answers."""

    def __init__(self, rewrite=None):
        super().__init__()
        self.sent: list[requests.PreparedRequest] = []
        self.rewrite = rewrite

    def send(self, request, *args, **kwargs):
        self.sent.append(request)
        resp = super().send(request, *args, **kwargs)
        if self.rewrite and request.method == "GET" and resp.status_code == 200:
            resp._content = orjson.dumps(self.rewrite(orjson.loads(resp.content)))
        return resp


def client_over(sandbox, adapter: HTTPAdapter, **kwargs) -> LinksPlusClient:
    session = requests.Session()
    session.mount("http://", adapter)
    kwargs.setdefault("backoff", 0.01)
    return LinksPlusClient(sandbox.api_key, base_url=sandbox.url, session=session, **kwargs)


def test_the_default_auth_is_the_bare_key_as_documented(sandbox):
    adapter = RecordingAdapter()
    client = client_over(sandbox, adapter)
    sandbox.seed_links(7401, 1)
    assert len(client.list_links(7401)) == 1
    assert client.auth == "raw"
    assert adapter.sent[0].headers["Authorization"] == sandbox.api_key


def test_the_default_session_pools_as_many_connections_as_pages_in_flight(sandbox):
    client = LinksPlusClient(sandbox.api_key, base_url=sandbox.url, max_concurrency=6)
    adapter = client._session.get_adapter(sandbox.url)
    assert adapter._pool_maxsize == 6
    assert adapter.max_retries.total == 0  # retries are the client's own
    assert sandbox.api_key not in repr(client) and sandbox.api_key not in repr(client._session.auth)


def test_proxy_settings_come_from_the_environment(sandbox, monkeypatch):
    sandbox.seed_links(7402, 1)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "")
    with pytest.raises(APIConnectionError) as info:
        sandbox.client(max_retries=0).list_links(7402)
    assert info.value.reason == "connection failed" and not info.value.request_sent
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert len(sandbox.client(max_retries=0).list_links(7402)) == 1


def test_cookies_in_the_session_are_sent_with_every_call(sandbox):
    """GETs are copied from one prepared request; cookies the session holds still go out."""
    sandbox.seed_links(7407, 150)
    adapter = RecordingAdapter()
    client = client_over(sandbox, adapter)
    assert len(client.list_links(7407)) == 150
    assert all("Cookie" not in sent.headers for sent in adapter.sent)
    client._session.cookies.set("lb", "node-2", domain="127.0.0.1", path="/")
    assert len(client.list_links(7407)) == 150
    assert [sent.headers.get("Cookie") for sent in adapter.sent[2:]] == ["lb=node-2"] * 2
    assert all(sent.headers["Authorization"] == sandbox.api_key for sent in adapter.sent)


class ThreadRecordingAdapter(HTTPAdapter):
    """Passes requests through, keeping the name of each thread that sent a list page."""

    def __init__(self):
        super().__init__(pool_maxsize=8)
        self.threads: set[str] = set()

    def send(self, request, *args, **kwargs):
        self.threads.add(threading.current_thread().name)
        return super().send(request, *args, **kwargs)


def test_pages_are_fetched_by_all_workers_when_far_and_by_two_when_near(sandbox, monkeypatch):
    sandbox.seed_links(7408, 900)
    sandbox.faults(latency_ms=40)  # the first page takes over 40 ms: the service is far
    try:
        far = ThreadRecordingAdapter()
        assert len(client_over(sandbox, far, max_concurrency=8).list_links(7408)) == 900
    finally:
        sandbox.faults()
    assert len(far.threads - {threading.current_thread().name}) > 2
    # Near: a first page back within NEAR_SERVICE (made generous so that a busy machine
    # cannot make the local sandbox look far).
    monkeypatch.setattr(client_module, "NEAR_SERVICE", 5.0)
    near = ThreadRecordingAdapter()
    assert len(client_over(sandbox, near, max_concurrency=8).list_links(7408)) == 900
    assert len(near.threads - {threading.current_thread().name}) <= 2


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_list_without_total_is_paged_until_a_short_page(sandbox, concurrency):
    seeded = sandbox.seed_links(7403, 250)

    def drop_total(body):
        body.pop("total", None)
        return body

    adapter = RecordingAdapter(rewrite=drop_total)
    client = client_over(sandbox, adapter, max_concurrency=concurrency)
    links = client.list_links(seeded["team_id"])
    assert len(links) == 250 and len({x.id for x in links}) == 250
    assert [x.id for x in links] == sorted(x.id for x in links)


def test_a_list_of_exactly_full_pages_without_total_ends(sandbox):
    sandbox.seed_links(7404, 200)
    client = client_over(sandbox, RecordingAdapter(rewrite=lambda b: {**b, "total": None}))
    assert len(client.list_links(7404)) == 200


def test_a_page_keeps_the_list_envelope(sandbox):
    sandbox.seed_links(7405, 3)
    page = sandbox.client().links_page(7405, limit=2)
    assert page.order == "reverse_chronological"
    assert (page.total, page.limit, page.offset) == (3, 2, 0)
    assert page.location == "/external/7405/links"
    assert page.from_ == "1970-01-01T00:00:00Z" and page.to and page.to.endswith("Z")
    assert [x.id for x in page.data] == sorted((x.id for x in page.data), reverse=True)


def test_string_ids_amounts_and_flags_are_read(sandbox):
    sandbox.seed_links(7406, 2)

    def stringify(body):
        for item in body["data"]:
            item.update(
                id=str(item["id"]),
                amount=str(item["amount"]),
                multiple_usage="false",
                transaction_url=item.pop("payment_url"),
                shape="round",
            )
        return body

    links = client_over(sandbox, RecordingAdapter(rewrite=stringify)).list_links(7406)
    assert all(isinstance(x.id, int) and x.amount == 50000 for x in links)
    assert all(x.multiple_usage is False and x.payment_url for x in links)
    assert links[0].extra["shape"] == "round"


def test_a_429_is_retried_after_its_retry_after(sandbox, caplog):
    sandbox.seed_links(7407, 1)
    sandbox.faults(rate_limit_next=1, retry_after=1)
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="linksplus.client"):
        assert len(sandbox.client(max_retries=2).list_links(7407)) == 1
    assert time.monotonic() - started >= 1.0
    assert "too_many_requests" in caplog.text and "in 1.00 s" in caplog.text


def test_a_429_beyond_the_retries_is_a_rate_limit_error(sandbox):
    sandbox.seed_links(7408, 1)
    sandbox.faults(rate_limit_next=1, retry_after=7)
    with pytest.raises(RateLimitError) as info:
        sandbox.client(max_retries=0).list_links(7408)
    error = info.value
    assert error.status == 429 and error.retry_after == 7
    assert md_escape("Please try again in 7 seconds.") in error_notice(error).text
    assert error.server_message and "Too many requests" in error.server_message
