"""The Links page: filters narrow the table, the URL carries them, the CSV is the view."""

from __future__ import annotations

import io

import pandas as pd
from app_helpers import no_exception, table_rows, texts

from linksplus.console.links_table import LinkFilters, links_csv, links_frame, prepare_links
from linksplus.eventlog import EventLog
from linksplus.ui.widgets import md_escape


def _links(sandbox, team=101):
    return sandbox.client().list_links(team)


def test_filters_narrow_the_table_and_go_to_the_url(make_app, sandbox):
    sandbox.seed_links(101, 40)
    links = _links(sandbox)
    at = make_app("sales", query={"view": "team"}).run()  # sales open on My links
    no_exception(at)
    table = table_rows(at, "links_table")
    assert sorted(table["id"]) == sorted(ln.id for ln in links)

    status = links[0].status
    at.multiselect(key="lf_status").set_value([status]).run()
    expected = sorted(ln.id for ln in links if ln.status == status)
    assert sorted(table_rows(at, "links_table")["id"]) == expected
    assert at.query_params["status"] == status

    word = links[0].name.split()[0]
    at.text_input(key="lf_text").set_value(word).run()
    expected = sorted(
        ln.id for ln in links if ln.status == status and word.lower() in ln.name.lower()
    )
    assert sorted(table_rows(at, "links_table")["id"]) == expected
    assert at.query_params["q"] == word

    # The CSV of the filters in the URL holds exactly the rows on screen, in their order.
    filters = LinkFilters.from_query_params(dict(at.query_params))
    prepared = prepare_links(links_frame(links), None, "Asia/Bangkok")
    csv = pd.read_csv(io.BytesIO(links_csv(prepared.rows(prepared.mask(filters)))))
    assert list(csv["link_id"]) == list(table_rows(at, "links_table")["id"])


def test_amount_range_per_currency_typed_like_money(make_app, sandbox):
    sandbox.seed_links(101, 40)
    links = _links(sandbox)
    cur = links[0].currency
    amounts = sorted(ln.amount for ln in links if ln.currency == cur)
    low = amounts[len(amounts) // 2]
    from linksplus.money import format_amount

    at = make_app("sales", query={"view": "team"}).run()  # sales open on My links
    currency = at.selectbox(key="lf_cur")
    assert currency.options[currency.index] == "Any currency"  # not "Choose an option"
    currency.set_value(cur).run()
    at.text_input(key="lf_min").set_value(format_amount(low, cur)).run()
    no_exception(at)
    expected = sorted(ln.id for ln in links if ln.currency == cur and ln.amount >= low)
    assert sorted(table_rows(at, "links_table")["id"]) == expected
    at.text_input(key="lf_min").set_value("12,34.5").run()
    assert "is not an amount" in texts(at)


def test_a_shared_url_opens_the_same_view_and_link(make_app, sandbox, secrets):
    sandbox.seed_links(101, 10)
    link = _links(sandbox)[0]
    log = EventLog(secrets["eventlog_url"])
    log.record(
        {
            "event": "payment.completed",
            "link_id": link.id,
            "payment": {
                "id": "chrg_test_1",
                "amount": link.amount,
                "currency": link.currency,
                "status": "successful",
            },
            "timestamp": "2026-02-14T10:35:00Z",
        }
    )
    at = make_app("sales", query={"view": "team", "q": link.name, "link": str(link.id)}).run()
    no_exception(at)
    assert at.text_input(key="lf_text").value == link.name
    assert link.id in list(table_rows(at, "links_table")["id"])
    assert link.payment_url in [c.value for c in at.code]  # the URL with its copy button
    assert len(at.get("download_button")) >= 2  # the CSV and the QR code PNG
    row = table_rows(at, "links_table").set_index("id").loc[link.id]
    assert row["paid_count"] == 1
    assert "chrg_test_1" in list(table_rows(at, "link_payments_table")["payment_id"])


def test_a_link_of_another_team_is_not_shown(make_app, sandbox):
    sandbox.seed_links(101, 2)
    sandbox.seed_links(102, 2)
    other = _links(sandbox, 102)[0]
    at = make_app("sales", query={"link": str(other.id)}).run()
    no_exception(at)
    assert other.payment_url not in [c.value for c in at.code]
    assert "is not one of" in texts(at)


def test_created_between_is_one_range_in_the_url(make_app, sandbox):
    sandbox.seed_links(101, 40)
    links = _links(sandbox)
    from linksplus.console.timezones import zone

    bangkok = zone(None)
    days = sorted({pd.Timestamp(ln.created_at).tz_convert(bangkok).date() for ln in links})
    start, end = days[0], days[len(days) // 2]
    at = make_app("sales", query={"view": "team"}).run()  # sales open on My links
    assert at.date_input(key="lf_created").value == ()  # no range: every link
    at.date_input(key="lf_created").set_value((start, end)).run()
    no_exception(at)
    expected = sorted(
        ln.id
        for ln in links
        if start <= pd.Timestamp(ln.created_at).tz_convert(bangkok).date() <= end
    )
    assert sorted(table_rows(at, "links_table")["id"]) == expected
    assert (at.query_params["from"], at.query_params["to"]) == (str(start), str(end))

    # The same range from a shared URL; a URL with only "to" is "up to that day".
    at = make_app("sales", query={"view": "team", "from": str(start), "to": str(end)}).run()
    assert at.date_input(key="lf_created").value == (start, end)
    assert sorted(table_rows(at, "links_table")["id"]) == expected
    at = make_app("sales", query={"view": "team", "to": str(end)}).run()
    no_exception(at)
    assert sorted(table_rows(at, "links_table")["id"]) == sorted(
        ln.id for ln in links if pd.Timestamp(ln.created_at).tz_convert(bangkok).date() <= end
    )
    assert "from" not in at.query_params and at.query_params["to"] == str(end)


# --- what people typed and what a URL carries is shown as text, never as Markdown ------------

LINK_NAME = "[Refund here](https://evil.example/pay)"
NOTE = "![t](http://host/x.png) :red[call] www.evil.example"
TEAM_NAME = "**Sales** [log in](https://evil.example/login)"


def test_a_hostile_link_name_note_and_team_name_are_shown_as_text(make_app, sandbox):
    sandbox.control("POST", "/teams", json={"id": 101, "name": TEAM_NAME})
    template_id = sandbox.control("POST", "/teams/101/templates", json={"name": "Shop"}).json()[
        "id"
    ]
    link = sandbox.client().create_link(
        template_id=template_id,
        team_id=101,
        name=LINK_NAME,
        amount=1_250_50,
        currency="thb",
        additional=NOTE,
    )
    at = make_app("sales", query={"link": str(link.id)}).run()
    no_exception(at)
    assert md_escape(LINK_NAME) in at.subheader[0].value  # the detail's heading
    page = texts(at)
    assert f"**Note:** {md_escape(NOTE)}" in page
    assert f"**{md_escape(TEAM_NAME)}**" in page  # the caption under the title
    for block in sorted((c.value for c in at.code), key=len, reverse=True):  # shown literally
        page = page.replace(block, "")
    for raw in (LINK_NAME, "![t](", ":red[call]", "www.evil", "[log in]("):
        assert raw not in page, raw


def test_url_parameters_are_echoed_as_text(make_app, sandbox):
    sandbox.seed_links(101, 3)
    evil = "[Session expired - log in here](https://evil.example/login)"
    at = make_app("sales", query={"team": evil}).run()
    no_exception(at)
    assert f"You do not have access to team {md_escape(evil)}." in at.error[0].value
    assert "](https" not in texts(at)

    at = make_app("sales", query={"from": evil, "cur": evil}).run()
    no_exception(at)
    messages = [i.value for i in at.info]
    assert md_escape(f"The date “{evil}” in the address is not a date.") in messages
    assert md_escape(f"The currency “{evil.lower()}” in the address is not supported.") in messages
    assert "](https" not in texts(at)

    at = make_app("sales", query={"cur": "thb", "min": evil}).run()
    no_exception(at)
    # The amount's message says why it was ignored without repeating what was typed.
    assert any("Amount filter ignored" in i.value for i in at.info)
    assert "](https" not in texts(at)


def test_the_selected_row_opens_its_detail_and_goes_to_the_url(make_app, sandbox):
    sandbox.seed_links(101, 5)
    other = _links(sandbox)[-1]
    at = make_app("sales", query={"view": "team", "link": str(other.id)}).run()
    assert other.payment_url in [c.value for c in at.code]
    table = table_rows(at, "links_table")
    row = 2
    chosen = int(table["id"].iloc[row])
    assert chosen != other.id
    at.session_state["links_table"] = {"selection": {"rows": [row], "columns": []}}
    at.run()
    no_exception(at)
    # The row picked wins over the link the URL named, and the URL follows it.
    url = next(ln.payment_url for ln in _links(sandbox) if ln.id == chosen)
    assert url in [c.value for c in at.code] and other.payment_url not in [c.value for c in at.code]
    assert at.query_params["link"] == str(chosen)


def test_a_slow_team_shows_its_newest_links_at_once_then_all_of_them(
    make_app, sandbox, monkeypatch
):
    # A team whose links take long to load (100,000 took 4.5 s) shows its newest page at
    # once, then the whole table when the load is in.
    import threading

    from linksplus.ui import cached_reads, links_view

    sandbox.seed_links(101, 130)
    links = _links(sandbox)
    release, loaded = threading.Event(), threading.Event()
    load = cached_reads._load_links

    def slow_load(*args):
        release.wait(30)
        try:
            return load(*args)
        finally:
            loaded.set()

    monkeypatch.setattr(cached_reads, "_load_links", slow_load)
    monkeypatch.setattr(links_view, "FIRST_WAIT", 0.05)
    at = make_app("sales", query={"view": "team"}).run()
    no_exception(at)
    newest = sorted((ln.id for ln in links), reverse=True)[:100]
    assert list(table_rows(at, "links_newest")["id"]) == newest
    assert "The newest 100 of 130 links, while all of them load…" in texts(at)
    release.set()
    # The page waits FIRST_WAIT (50 ms here) for the load: begin once it is in, so that a
    # busy machine's slow sandbox does not decide the test.
    assert loaded.wait(30)
    at.run()
    no_exception(at)
    assert sorted(table_rows(at, "links_table")["id"]) == sorted(ln.id for ln in links)
    assert "while all of them load" not in texts(at)
