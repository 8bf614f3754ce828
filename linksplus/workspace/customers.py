"""The customer a link is for, and links marked void: the console's own records of both.

Links+ has no field for a customer and cannot cancel a link, so the console keeps them here,
keyed by link id (``ws_customers``, ``ws_voids``). A customer is personal data (Thailand's
PDPA): every read names the team, so one team never sees another's customers, and an admin
can erase a customer's details (`find_customers`, `erase_customers`), which deletes the rows
outright.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import delete, func, or_, select
from sqlalchemy.engine import Connection

from linksplus.i18n import N_, _
from linksplus.workspace.schema import customers, upload_customers, voids
from linksplus.workspace.store import Workspace

NAME_MAX = 200
PHONE_MAX = 32
EMAIL_MAX = 254
LINE_MAX = 200
REASON_MAX = 500
FIELDS = ("name", "phone", "email", "line")
# What the Payments page and the owner's alert say of a payment of a link voided before it
# was paid (Links+ cannot cancel a link: the customer could still pay it).
PAID_AFTER_VOID = N_(
    "Paid after it was voided: refund it in the Omise dashboard if it should not have been paid."
)
# An address with one @, no spaces, and a dot in its domain: the shape, not deliverability
# (that only a message proves).
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# Digits with an optional leading +; spaces, dashes, dots and brackets are allowed between
# them as people write numbers ("+66 81-234 5678") and are kept as typed.
_PHONE_CHARS = re.compile(r"^\+?[\d\s\-.()]+$")


@dataclass(frozen=True)
class Customer:
    """Who a link is for; every field optional (None when not given)."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    line: str | None = None  # a LINE user id or a note for LINE

    @classmethod
    def of(cls, **fields: object) -> Customer:
        """A customer from typed text: each field stripped, empty text is None."""
        clean = {k: (str(v).strip() or None) if v is not None else None for k, v in fields.items()}
        return cls(**{k: clean.get(k) for k in FIELDS})

    @property
    def empty(self) -> bool:
        return not any(asdict(self).values())

    def label(self) -> str:
        """The customer in a few words for a list or an alert: name, else email or phone."""
        return self.name or self.email or self.phone or self.line or ""


def customer_errors(customer: Customer) -> dict[str, str]:
    """Every problem with `customer`'s fields, as ``{field: sentence}``; empty when valid."""
    errors: dict[str, str] = {}
    limits = {"name": NAME_MAX, "phone": PHONE_MAX, "email": EMAIL_MAX, "line": LINE_MAX}
    for field_name, limit in limits.items():
        value = getattr(customer, field_name)
        if value and len(value) > limit:
            errors[field_name] = _("Keep this to at most {n} characters.").format(n=limit)
    if "email" not in errors and customer.email and not _EMAIL.match(customer.email):
        errors["email"] = _(
            "The customer's email does not look like an address: write it like somsak@example.com."
        )
    if "phone" not in errors and customer.phone:
        digits = sum(ch.isdigit() for ch in customer.phone)
        if not _PHONE_CHARS.match(customer.phone) or "+" in customer.phone[1:]:
            errors["phone"] = _(
                "The customer's phone may have only digits, spaces and dashes, with a + "
                "first for another country, like +66 81 234 5678."
            )
        elif not 6 <= digits <= 15:
            errors["phone"] = _("The customer's phone needs 6 to 15 digits.")
    return errors


@dataclass(frozen=True)
class Void:
    """A link marked void: by whom, when and why."""

    link_id: int
    voided_by: str
    voided_at: datetime
    reason: str


# -- customers --------------------------------------------------------------------------


def save_customer(ws: Workspace, link_id: int, team_id: int, customer: Customer, by: str) -> None:
    """Store `customer` as link `link_id`'s (in `team_id`), replacing any earlier one; an
    empty customer deletes it."""
    with ws.engine.begin() as conn:
        _save_customer(conn, int(link_id), int(team_id), customer, by)


def _save_customer(
    conn: Connection, link_id: int, team_id: int, customer: Customer, by: str
) -> None:
    conn.execute(delete(customers).where(customers.c.link_id == link_id))
    if customer.empty:
        return
    conn.execute(
        customers.insert().values(
            link_id=link_id,
            team_id=team_id,
            updated_by=by.lower(),
            updated_at=datetime.now(UTC),
            **asdict(customer),
        )
    )


def customer_of(ws: Workspace, link_id: int, team_id: int) -> Customer | None:
    """Link `link_id`'s customer if the link is `team_id`'s, else None."""
    query = select(*(customers.c[f] for f in FIELDS)).where(
        customers.c.link_id == int(link_id), customers.c.team_id == int(team_id)
    )
    with ws.engine.connect() as conn:
        row = conn.execute(query).first()
    return Customer(**row._asdict()) if row else None


def customers_frame(ws: Workspace, team_id: int) -> pd.DataFrame:
    """`team_id`'s customers, one row per link: link_id, name, phone, email, line."""
    query = select(customers.c.link_id, *(customers.c[f] for f in FIELDS)).where(
        customers.c.team_id == int(team_id)
    )
    with ws.engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=["link_id", *FIELDS])
    frame["link_id"] = frame["link_id"].astype("int64")
    return frame


def customer_labels(ws: Workspace, link_ids: Iterable[int]) -> dict[int, str]:
    """The customer of each of `link_ids` that has one, in a few words (for alerts, which
    are sent to the link's own team)."""
    ids = [int(i) for i in link_ids]
    if not ids:
        return {}
    query = select(customers.c.link_id, *(customers.c[f] for f in FIELDS)).where(
        customers.c.link_id.in_(ids)
    )
    with ws.engine.connect() as conn:
        rows = conn.execute(query).all()
    return {int(r.link_id): Customer(*r[1:]).label() for r in rows}


# What `find_customers` answers: a link's customer has a link_id; a bulk row not made yet
# has its upload_id and row_no instead.
FOUND_COLUMNS = ["link_id", "upload_id", "row_no", "team_id", *FIELDS]


def _contains(table, needle: str):
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(
        *(func.lower(table.c[f]).like(pattern, escape="\\") for f in ("name", "email", "phone"))
    )


def find_customers(ws: Workspace, text: str) -> pd.DataFrame:
    """Every stored customer (any team: for an admin's erasure) whose name, email or phone
    contains `text` (case-insensitive), on a link or on a bulk row not made yet
    (`FOUND_COLUMNS`). Empty for text shorter than 2 characters, so that one letter does
    not list everyone."""
    needle = text.strip().lower()
    if len(needle) < 2:
        return pd.DataFrame(columns=FOUND_COLUMNS)
    on_links = select(customers.c.link_id, customers.c.team_id, *(customers.c[f] for f in FIELDS))
    on_rows = select(
        upload_customers.c.upload_id,
        upload_customers.c.row_no,
        upload_customers.c.team_id,
        *(upload_customers.c[f] for f in FIELDS),
    )
    with ws.engine.connect() as conn:
        links = conn.execute(
            on_links.where(_contains(customers, needle)).order_by(customers.c.link_id)
        ).all()
        rows = conn.execute(on_rows.where(_contains(upload_customers, needle))).all()
    found = [
        *({"link_id": r.link_id, **r._asdict()} for r in links),
        *(r._asdict() for r in rows),
    ]
    frame = pd.DataFrame(found, columns=FOUND_COLUMNS)
    frame["link_id"] = frame["link_id"].astype("Int64")
    return frame


def found_keys(found: pd.DataFrame) -> tuple[list[int], list[tuple[str, int]]]:
    """The link ids and the (upload_id, row_no) of bulk rows in `find_customers`' answer,
    as `erase_customers` takes them."""
    link_ids = [int(i) for i in found["link_id"].dropna()]
    rows = [
        (u, int(n))
        for u, n in zip(found["upload_id"], found["row_no"], strict=True)
        if isinstance(u, str)
    ]
    return link_ids, rows


def erase_customers(
    ws: Workspace, link_ids: Iterable[int], upload_rows: Iterable[tuple[str, int]] = ()
) -> int:
    """Delete the customer details of `link_ids` and of bulk rows `upload_rows` (upload_id,
    row_no) in one transaction, keeping no copy; answers how many were deleted."""
    ids = [int(i) for i in link_ids]
    rows = [(str(u), int(n)) for u, n in upload_rows]
    erased = 0
    with ws.engine.begin() as conn:
        if ids:
            erased += conn.execute(delete(customers).where(customers.c.link_id.in_(ids))).rowcount
        for upload_id, row_no in rows:
            erased += conn.execute(
                delete(upload_customers).where(
                    upload_customers.c.upload_id == upload_id,
                    upload_customers.c.row_no == row_no,
                )
            ).rowcount
    return erased


# -- bulk rows --------------------------------------------------------------------------


def save_row_customers(
    ws: Workspace, upload_id: str, team_id: int, by_row: dict[int, Customer]
) -> None:
    """Keep the customer of each row of an upload (`by_row`: row_no -> customer) until its
    link is made; a row's earlier customer is replaced."""
    with ws.engine.begin() as conn:
        for row_no, customer in by_row.items():
            key = (upload_customers.c.upload_id == upload_id) & (
                upload_customers.c.row_no == int(row_no)
            )
            conn.execute(delete(upload_customers).where(key))
            if not customer.empty:
                conn.execute(
                    upload_customers.insert().values(
                        upload_id=upload_id,
                        row_no=int(row_no),
                        team_id=int(team_id),
                        **asdict(customer),
                    )
                )


def row_customers(ws: Workspace, upload_id: str) -> dict[int, Customer]:
    """The customers of an upload's rows not made yet, by row_no."""
    query = select(upload_customers.c.row_no, *(upload_customers.c[f] for f in FIELDS)).where(
        upload_customers.c.upload_id == upload_id
    )
    with ws.engine.connect() as conn:
        return {int(r.row_no): Customer(*r[1:]) for r in conn.execute(query)}


def move_row_customer(
    ws: Workspace, upload_id: str, row_no: int, link_id: int, team_id: int, by: str
) -> None:
    """A bulk row's link was made: its customer becomes the link's, in one transaction."""
    key = (upload_customers.c.upload_id == upload_id) & (upload_customers.c.row_no == int(row_no))
    with ws.engine.begin() as conn:
        row = conn.execute(select(*(upload_customers.c[f] for f in FIELDS)).where(key)).first()
        if row is None:
            return
        _save_customer(conn, int(link_id), int(team_id), Customer(*row), by)
        conn.execute(delete(upload_customers).where(key))


# -- voids ------------------------------------------------------------------------------


def void_link(ws: Workspace, link_id: int, team_id: int, by: str, reason: str) -> None:
    """Mark link `link_id` (of `team_id`) void by `by` now, for `reason` (a second void
    replaces the first)."""
    with ws.engine.begin() as conn:
        conn.execute(delete(voids).where(voids.c.link_id == int(link_id)))
        conn.execute(
            voids.insert().values(
                link_id=int(link_id),
                team_id=int(team_id),
                voided_by=by.lower(),
                voided_at=datetime.now(UTC),
                reason=reason.strip(),
            )
        )


def unvoid_link(ws: Workspace, link_id: int, team_id: int) -> bool:
    """Link `link_id` is no longer void; answers whether it was."""
    query = delete(voids).where(voids.c.link_id == int(link_id), voids.c.team_id == int(team_id))
    with ws.engine.begin() as conn:
        return conn.execute(query).rowcount > 0


def void_of(ws: Workspace, link_id: int, team_id: int | None = None) -> Void | None:
    """Link `link_id`'s void mark (only if it is `team_id`'s, when given), or None."""
    query = select(voids.c.link_id, voids.c.voided_by, voids.c.voided_at, voids.c.reason).where(
        voids.c.link_id == int(link_id)
    )
    if team_id is not None:
        query = query.where(voids.c.team_id == int(team_id))
    with ws.engine.connect() as conn:
        row = conn.execute(query).first()
    return Void(**row._asdict()) if row else None


def voided_ids(ws: Workspace, team_id: int | None = None, link_ids: Iterable[int] = ()) -> set[int]:
    """The void links of `team_id` (all teams when None), or those among `link_ids`."""
    query = select(voids.c.link_id)
    if team_id is not None:
        query = query.where(voids.c.team_id == int(team_id))
    ids = [int(i) for i in link_ids]
    if ids:
        query = query.where(voids.c.link_id.in_(ids))
    with ws.engine.connect() as conn:
        return {int(i) for i in conn.execute(query).scalars()}


def voids_frame(ws: Workspace, team_id: int) -> pd.DataFrame:
    """`team_id`'s void links: link_id, voided_by, voided_at (UTC), reason."""
    columns = ["link_id", "voided_by", "voided_at", "reason"]
    query = select(*(voids.c[c] for c in columns)).where(voids.c.team_id == int(team_id))
    with ws.engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=columns)
    frame["link_id"] = frame["link_id"].astype("int64")
    frame["voided_at"] = pd.to_datetime(frame["voided_at"], utc=True)
    return frame


def paid_after_void(payments: pd.DataFrame, void: pd.DataFrame) -> set[str]:
    """The successful payments of `payments` (occurred_at, link_id, payment_id, status) made
    on a link of `void` (`voids_frame`) at or after it was voided."""
    if payments.empty or void.empty:
        return set()
    ok = payments[payments["status"] == "successful"]
    joined = ok.merge(void[["link_id", "voided_at"]], on="link_id", how="inner")
    late = pd.to_datetime(joined["occurred_at"], utc=True) >= joined["voided_at"]
    return set(joined.loc[late, "payment_id"].astype(str))
