"""Typed models keep what they do not know and read both payer URL spellings."""

from datetime import UTC, datetime

from linksplus.models import Link, Page, Template, as_bool, as_int

TOUR = {
    "object": "link",
    "id": 7,
    "team_id": 2,
    "template_id": 3,
    "name": "Tour",
    "amount": 12300,
    "currency": "THB",
    "multiple_usage": True,
    "payment_url": "https://pay.example/x",
    "status": "active",
    "created_at": "2026-02-14T10:35:00Z",
    "qr_style": "round",
}


def test_link_parses_types_and_keeps_unknown_fields():
    link = Link.from_api(TOUR)
    assert link.id == 7 and link.amount == 12300 and link.currency == "thb"
    assert link.created_at == datetime(2026, 2, 14, 10, 35, tzinfo=UTC)
    assert link.extra == {"qr_style": "round"}
    assert link.to_dict()["qr_style"] == "round"
    assert link.to_dict()["created_at"] == "2026-02-14T10:35:00Z"


def test_link_reads_transaction_url_when_payment_url_is_missing():
    link = Link.from_api({"id": 1, "transaction_url": "https://pay.example/t"})
    assert link.payment_url == "https://pay.example/t"


def test_timestamps_become_utc():
    link = Link.from_api({"id": 1, "created_at": "2026-02-14T17:35:00+07:00"})
    assert link.created_at == datetime(2026, 2, 14, 10, 35, tzinfo=UTC)
    naive = Link.from_api({"id": 1, "created_at": "2026-02-14T10:35:00"})
    assert naive.created_at.tzinfo is UTC


def test_template_keeps_features_and_unknown_fields():
    tpl = Template.from_api(
        {
            "object": "template",
            "id": 3655,
            "team_id": 1,
            "created_by": 9,
            "name": "คอร์สเรียน",
            "language": "th",
            "status": "active",
            "features": ["qr"],
            "theme": {"color": "blue"},
        }
    )
    assert tpl.features == ["qr"] and tpl.language == "th"
    assert tpl.extra == {"theme": {"color": "blue"}}


def test_ids_amounts_and_flags_given_as_strings_are_coerced():
    link = Link.from_api(
        {
            "id": "1001",
            "team_id": "101",
            "template_id": " 3650 ",
            "amount": "12300",
            "multiple_usage": "true",
            "currency": "thb",
        }
    )
    assert (link.id, link.team_id, link.template_id, link.amount) == (1001, 101, 3650, 12300)
    assert link.multiple_usage is True
    assert Link.from_api({"id": 1, "multiple_usage": "false"}).multiple_usage is False
    assert Link.from_api({"id": 1, "multiple_usage": "0"}).multiple_usage is False
    assert Link.from_api({"id": 1, "multiple_usage": 1}).multiple_usage is True
    assert Template.from_api({"id": "3655", "amount": "50000"}).amount == 50000


def test_values_that_are_no_numbers_do_not_become_numbers():
    assert as_int("12.5") is None and as_int("abc") is None and as_int(True) is None
    assert as_int(12300.0) == 12300 and as_int("-5") == -5
    assert as_bool("no") is False and as_bool(None) is False and as_bool("TRUE") is True
    assert Link.from_api({"id": 1, "amount": "a lot"}).amount == 0


def test_a_page_keeps_the_omise_list_envelope_and_unknown_keys():
    page = Page.from_api(
        {
            "object": "list",
            "data": [{"id": "1"}],
            "total": "1",
            "limit": 20,
            "offset": 0,
            "order": "chronological",
            "from": "1970-01-01T00:00:00Z",
            "to": "2026-02-14T10:35:00Z",
            "location": "/external/101/links",
            "cursor": "abc",
        },
        Link.from_api,
    )
    assert page.data[0].id == 1 and page.total == 1 and page.limit == 20
    assert (page.from_, page.to) == ("1970-01-01T00:00:00Z", "2026-02-14T10:35:00Z")
    assert page.location == "/external/101/links" and page.order == "chronological"
    assert page.extra == {"cursor": "abc"}
    assert Page.from_api({"object": "list", "data": []}).total is None


def test_typed_fast_path_and_coercing_path_give_the_same_link():
    """Links whose numbers and flag already have their types skip the coercions; the result
    is the link the coercing path makes from the same values as strings, field for field."""
    typed = {k: v for k, v in TOUR.items() if k != "payment_url"} | {
        "transaction_url": "https://pay.example/t",
        "updated_at": "2026-02-14T17:40:00+07:00",
    }
    as_strings = {
        **typed,
        "id": "7",
        "team_id": " 2",
        "template_id": "3",
        "amount": "12300",
        "multiple_usage": "true",
    }
    one_string = {**typed, "amount": "12300"}  # a single odd field takes the careful path
    expected = Link(
        id=7,
        team_id=2,
        template_id=3,
        name="Tour",
        amount=12300,
        currency="thb",
        multiple_usage=True,
        payment_url="https://pay.example/t",
        status="active",
        created_at=datetime(2026, 2, 14, 10, 35, tzinfo=UTC),
        updated_at=datetime(2026, 2, 14, 10, 40, tzinfo=UTC),
        extra={"transaction_url": "https://pay.example/t", "qr_style": "round"},
    )
    for data in (typed, as_strings, one_string):
        link = Link.from_api(data)
        assert link == expected
        assert type(link.id) is int and type(link.amount) is int
        assert type(link.multiple_usage) is bool
        assert link.updated_at.tzinfo is not None


def test_an_unchanged_link_gets_the_same_time_for_both_stamps():
    link = Link.from_api(
        {"id": 1, "created_at": "2026-02-14T10:35:00Z", "updated_at": "2026-02-14T10:35:00Z"}
    )
    assert link.created_at == link.updated_at == datetime(2026, 2, 14, 10, 35, tzinfo=UTC)
    untouched = Link.from_api({"id": 1, "created_at": None, "updated_at": None})
    assert untouched.created_at is None and untouched.updated_at is None
