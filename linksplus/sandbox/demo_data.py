"""The demo's data: three teams, their templates, a few hundred links and 90 days of payments.

Deterministic: a fixed random seed draws the same links, amounts, statuses and payments on
every start; only the times move, being relative to now. Payments are recorded without
sending webhooks (``POST /_sandbox/webhooks/replay`` sends them when the demo wants them).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from linksplus.models import format_timestamp
from linksplus.money import get_currency
from linksplus.sandbox.state import Store
from linksplus.validation import link_param_errors

SEED = 20260214
DAYS = 90

TEAMS = {101: "Bangkok Retail", 102: "Online Sales", 103: "Corporate Events"}


@dataclass(frozen=True)
class TemplateSpec:
    """A demo template and the link names drawn from it."""

    team_id: int
    name: str
    language: str
    currency: str
    amount: int | None
    features: tuple[str, ...]
    link_names: tuple[str, ...]
    status: str = "active"


TEMPLATES = (
    TemplateSpec(
        101,
        "คอร์สเรียนออนไลน์",
        "th",
        "thb",
        199_000,
        ("card", "promptpay"),
        (
            "คอร์ส Python พื้นฐาน",
            "คอร์สถ่ายภาพด้วยมือถือ",
            "คอร์ส Excel สำหรับงานขาย",
            "คอร์สทำขนมไทย",
            "คอร์สภาษาอังกฤษธุรกิจ",
            "Online course: Digital marketing",
        ),
    ),
    TemplateSpec(
        101,
        "Workshop ticket",
        "en",
        "thb",
        150_000,
        ("card", "promptpay"),
        (
            "Coffee brewing workshop",
            "Pottery workshop",
            "Thai cooking class",
            "Leather craft workshop",
            "Watercolour afternoon",
            "Barista basics",
        ),
    ),
    TemplateSpec(
        101,
        "ค่าสมาชิกรายเดือน",
        "th",
        "thb",
        59_000,
        ("card", "promptpay", "mobile_banking"),
        ("สมาชิกฟิตเนส รายเดือน", "สมาชิกห้องสมุด รายเดือน", "สมาชิก Co-working รายเดือน", "สมาชิกคลับโยคะ"),
    ),
    TemplateSpec(
        101,
        "Gift voucher",
        "en",
        "thb",
        None,
        ("card",),
        ("Gift voucher", "Birthday gift card", "Spa voucher", "Dinner for two"),
    ),
    TemplateSpec(
        102,
        "Online order",
        "en",
        "thb",
        None,
        ("card", "promptpay", "mobile_banking"),
        ("Order #{n}", "Order #{n} (express)", "Bulk order #{n}"),
    ),
    TemplateSpec(
        102,
        "สินค้าพรีออเดอร์",
        "th",
        "thb",
        89_000,
        ("card", "promptpay"),
        (
            "พรีออเดอร์ เสื้อยืดลายช้าง",
            "พรีออเดอร์ กระเป๋าผ้าทอมือ",
            "พรีออเดอร์ ชุดชาไทย",
            "พรีออเดอร์ เซรั่มสมุนไพร",
        ),
    ),
    TemplateSpec(
        102,
        "Japan pre-order",
        "en",
        "jpy",
        12_000,
        ("card", "konbini"),
        ("Matcha set (Japan)", "Ceramic bowl (Japan)", "Kimono fabric (Japan)"),
    ),
    TemplateSpec(
        102,
        "Singapore delivery",
        "en",
        "sgd",
        4_500,
        ("card", "paynow"),
        ("SG delivery: durian box", "SG delivery: snack hamper", "SG order #{n}"),
    ),
    TemplateSpec(
        102,
        "Malaysia delivery",
        "en",
        "myr",
        12_000,
        ("card", "fpx"),
        ("MY delivery: batik scarf", "MY delivery: tea set", "MY order #{n}"),
    ),
    TemplateSpec(
        103,
        "Conference pass",
        "en",
        "usd",
        29_900,
        ("card",),
        (
            "Bangkok Tech Summit pass",
            "Fintech Forum pass",
            "Retail Expo VIP pass",
            "Developer Day pass",
        ),
    ),
    TemplateSpec(
        103,
        "งานสัมมนาประจำปี",
        "th",
        "thb",
        350_000,
        ("card", "promptpay"),
        ("สัมมนาผู้นำองค์กร", "สัมมนาการตลาดดิจิทัล", "งานเลี้ยงประจำปี บริษัทคู่ค้า"),
    ),
    TemplateSpec(
        103,
        "Team offsite deposit",
        "en",
        "sgd",
        50_000,
        ("card", "paynow"),
        ("Offsite deposit: Sentosa", "Offsite deposit: Bintan trip"),
    ),
    TemplateSpec(
        103,
        "Booth rental",
        "en",
        "myr",
        150_000,
        ("card", "fpx"),
        ("Booth rental: KL fair", "Booth rental: Penang expo"),
    ),
    TemplateSpec(
        103,
        "Gala dinner 2025",
        "en",
        "thb",
        450_000,
        ("card",),
        ("Gala dinner table",),
        status="inactive",
    ),
)
LINKS_PER_TEAM = {101: 160, 102: 140, 103: 80}
NOTES = (
    "Includes lunch and materials.",
    "ชำระภายใน 7 วัน",
    "Please bring your ID.",
    "ราคานี้รวม VAT แล้ว",
    "Seats are limited.",
    "Delivery in 3-5 working days.",
)
PRICE_FACTORS = (0.5, 0.75, 1, 1, 1, 1.25, 1.5, 2, 3)
DEFAULT_PRICES = {
    "thb": (35_000, 59_000, 120_000, 250_000, 499_000, 1_290_000),
    "jpy": (3_000, 8_800, 15_000),
    "sgd": (2_500, 8_000, 15_000),
    "myr": (5_000, 18_000, 45_000),
    "usd": (1_900, 9_900, 29_900),
}


def _round_price(minor: float, currency: str) -> int:
    """A believable price: whole major units, rounded to a tidy step."""
    factor = get_currency(currency).factor
    major = max(1, round(minor / factor))
    step = 100 if major >= 1000 else 10 if major >= 100 else 1
    return max(1, round(major / step)) * step * factor


def _link_amount(rng: random.Random, spec: TemplateSpec, currency: str) -> int:
    if spec.amount is None or currency != spec.currency:
        return rng.choice(DEFAULT_PRICES[currency])
    return _round_price(spec.amount * rng.choice(PRICE_FACTORS), currency)


def seed_demo(store: Store, *, now: datetime | None = None, seed: int = SEED) -> None:
    """Fill an empty `store` with the demo teams, templates, links and payments."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC).replace(microsecond=0)
    with store.lock:
        for team_id, name in TEAMS.items():
            store.add_team(name, team_id)
        templates = []
        for i, spec in enumerate(TEMPLATES):
            made = now - timedelta(days=180 - i * 5, hours=rng.randrange(8))
            item = store.add_template(
                spec.team_id,
                name=spec.name,
                currency=spec.currency,
                amount=spec.amount,
                language=spec.language,
                features=spec.features,
                status=spec.status,
                created_by=1 + i % 4,
                created_at=format_timestamp(made),
            )
            templates.append((item.id, spec))
        _seed_links(store, rng, now, templates)
        # Payments were drawn link by link; the log reads best in time order.
        store.payments.sort(key=lambda p: p["created_at"])


def _seed_links(
    store: Store, rng: random.Random, now: datetime, templates: list[tuple[int, TemplateSpec]]
) -> None:
    drafts = []
    order_no = 1040
    for team_id, count in LINKS_PER_TEAM.items():
        usable = [(tid, s) for tid, s in templates if s.team_id == team_id and s.status == "active"]
        for _ in range(count):
            template_id, spec = rng.choice(usable)
            currency = spec.currency
            if spec.amount is None and rng.random() < 0.1:
                currency = "usd"  # a few foreign buyers pay in dollars
            order_no += rng.randrange(1, 9)
            name = rng.choice(spec.link_names).format(n=order_no)
            created = now - timedelta(seconds=rng.randrange(60, DAYS * 86400))
            drafts.append(
                {
                    "created": created,
                    "team_id": team_id,
                    "template_id": template_id,
                    "name": name,
                    "amount": _link_amount(rng, spec, currency),
                    "currency": currency,
                    "multiple_usage": (spec.language == "th" and "สมาชิก" in name)
                    or rng.random() < 0.15,
                    "additional": rng.choice(NOTES) if rng.random() < 0.25 else None,
                }
            )
    # Ids grow with time, as on the real service.
    for draft in sorted(drafts, key=lambda d: d["created"]):
        params = {
            k: draft[k]
            for k in (
                "template_id",
                "team_id",
                "name",
                "amount",
                "currency",
                "multiple_usage",
                "additional",
            )
        }
        problems = link_param_errors(params)
        assert not problems, f"bad demo link {params}: {problems}"  # a bug in this module
        link = store.add_link(
            **params,
            created_at=format_timestamp(draft["created"]),
            token=f"demo{rng.getrandbits(64):016x}",
        )
        _seed_payments(store, rng, now, link, draft["created"])


def _seed_payments(
    store: Store, rng: random.Random, now: datetime, link, created: datetime
) -> None:
    """Payments on one link after it was made, then its final status."""
    age = (now - created).total_seconds()
    window = min(age, 21 * 86400)
    if link.data["multiple_usage"]:
        count = rng.choice((0, 1, 2, 3, 3, 4, 5, 6, 8))
        outcomes = ["successful" if rng.random() < 0.88 else "failed" for _ in range(count)]
    elif rng.random() < 0.68:
        outcomes = (["failed"] if rng.random() < 0.15 else []) + ["successful"]
    else:
        outcomes = ["failed"] if rng.random() < 0.1 else []
    times = sorted(
        created + timedelta(seconds=rng.uniform(120, max(180, window))) for _ in outcomes
    )
    for status, at in zip(outcomes, times, strict=True):
        at = min(at, now - timedelta(seconds=30))
        store.add_payment(link, status=status, created_at=format_timestamp(at))
    if link.data["status"] != "active":
        return  # paid in full: used
    last = times[-1] if times else created
    if age > 30 * 86400 and not link.data["multiple_usage"] and rng.random() < 0.45:
        store.set_link_status(
            link, "expired", format_timestamp(min(now, max(last, created + timedelta(days=30))))
        )
    elif rng.random() < 0.05:
        store.set_link_status(
            link, "disabled", format_timestamp(min(now, last + timedelta(days=rng.uniform(0.1, 5))))
        )
