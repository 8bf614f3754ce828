"""Typed models keep what they do not know and read both payer URL spellings."""

from datetime import UTC, datetime

from linksplus.models import Link, Template


def test_link_parses_types_and_keeps_unknown_fields():
    link = Link.from_api(
        {
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
    )
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
