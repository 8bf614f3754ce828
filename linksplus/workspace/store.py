"""`Workspace`: reads and writes of the console's own records (see the package docstring)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from linksplus.eventlog.engine import make_engine
from linksplus.i18n import N_
from linksplus.workspace.schema import (
    alert_prefs,
    announced,
    ensure_schema,
    link_owners,
    login_generations,
    message_prefs,
    seen,
    team_settings,
    upload_rows,
    uploads,
    user_prefs,
)

HOW = ("form", "template", "bulk", "duplicate")
# Needs follow-up: single-use links unpaid this many days, unless the team sets another.
DEFAULT_FOLLOW_UP_DAYS = 3
FOLLOW_UP_DAYS_RANGE = (1, 60)
# What the Made by column says of a link the console has no record of (a key: shown
# translated, _(OUTSIDE)).
OUTSIDE = N_("made outside the console")
# A row's states: waiting (never sent), sending (sent; outcome unknown until done or
# failed), done (its link exists), failed (an error; Resume sends it again, checking first).
WAITING, SENDING, DONE, FAILED = "waiting", "sending", "done", "failed"


@dataclass(frozen=True)
class Ownership:
    """Who made a link through the console, for which team, when and how."""

    link_id: int
    team_id: int
    made_by: str
    made_at: datetime
    how: str
    upload_id: str | None = None
    upload_row: int | None = None
    reminded_at: datetime | None = None
    reminded_by: str | None = None


@dataclass(frozen=True)
class UserPrefs:
    """How a user reads the console: `language` ("en", "th") and Buddhist-era years."""

    language: str
    buddhist_era: bool = False


@dataclass(frozen=True)
class AlertPrefs:
    """How a user is told of payments: email (None: never chose, which means on), a LINE
    user id, and (managers, admins) every payment of their teams, not only their links'."""

    email_on: bool | None = None
    line_user_id: str | None = None
    team_alerts: bool = False


@dataclass(frozen=True)
class RowParams:
    """What one spreadsheet row asks Links+ to make (amount in minor units)."""

    row_no: int
    name: str
    amount: int
    currency: str
    template_id: int
    multiple_usage: bool = False
    note: str | None = None


@dataclass(frozen=True)
class UploadRow:
    """A stored row of an upload and its outcome so far."""

    params: RowParams
    state: str
    attempted_at: datetime | None
    link_id: int | None
    payment_url: str | None
    error: str | None


@dataclass(frozen=True)
class Upload:
    upload_id: str
    username: str
    team_id: int
    filename: str
    created_at: datetime
    rows: int


def upload_id_for(content: bytes, username: str) -> str:
    """The id of an upload: the same file from the same user is the same upload."""
    digest = hashlib.sha256()
    digest.update(username.lower().encode())
    digest.update(b"\0")
    digest.update(content)
    return digest.hexdigest()


class Workspace:
    """The console's records in the database at `url` (SQLite or PostgreSQL), the tables
    made or migrated on opening."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        ensure_schema(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- ownership --------------------------------------------------------------------------

    def record_link(
        self,
        link_id: int,
        team_id: int,
        made_by: str,
        how: str,
        *,
        made_at: datetime | None = None,
        upload_id: str | None = None,
        upload_row: int | None = None,
    ) -> None:
        """Record that `made_by` made link `link_id`; a second record of a link is ignored
        (the first maker stays)."""
        if how not in HOW:
            raise ValueError(f"how must be one of {', '.join(HOW)}, not {how!r}")
        with self.engine.begin() as conn:
            _insert_owner(
                conn,
                link_id=int(link_id),
                team_id=int(team_id),
                made_by=made_by.lower(),
                made_at=made_at or datetime.now(UTC),
                how=how,
                upload_id=upload_id,
                upload_row=upload_row,
            )

    def owner(self, link_id: int) -> Ownership | None:
        """Who made `link_id` through the console, or None (made outside it)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(link_owners).where(link_owners.c.link_id == int(link_id))
            ).first()
        return Ownership(**row._asdict()) if row else None

    def owners_frame(self, team_id: int) -> pd.DataFrame:
        """The team's recorded links (one SQL query): link_id, made_by, made_at, how and
        the latest reminder's reminded_at and reminded_by."""
        columns = ["link_id", "made_by", "made_at", "how", "reminded_at", "reminded_by"]
        query = select(*(link_owners.c[c] for c in columns)).where(
            link_owners.c.team_id == int(team_id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        frame = pd.DataFrame(rows, columns=columns)
        frame["link_id"] = frame["link_id"].astype("int64")
        for name in ("made_at", "reminded_at"):
            frame[name] = pd.to_datetime(frame[name], utc=True)
        return frame

    def link_ids_of(self, username: str) -> list[int]:
        """Every link `username` made through the console, in any team."""
        query = select(link_owners.c.link_id).where(link_owners.c.made_by == username.lower())
        with self.engine.connect() as conn:
            return [int(i) for i in conn.execute(query).scalars()]

    def mark_reminded(self, link_id: int, username: str, at: datetime | None = None) -> None:
        """`username` reminded the customer of `link_id` (at `at`, default now)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(link_owners)
                .where(link_owners.c.link_id == int(link_id))
                .values(reminded_at=at or datetime.now(UTC), reminded_by=username.lower())
            )

    # -- settings ---------------------------------------------------------------------------

    def follow_up_days(self, team_id: int) -> int:
        """After how many unpaid days a team's single-use links need a follow-up."""
        query = select(team_settings.c.follow_up_days).where(
            team_settings.c.team_id == int(team_id)
        )
        with self.engine.connect() as conn:
            found = conn.execute(query).scalar()
        return int(found) if found is not None else DEFAULT_FOLLOW_UP_DAYS

    def set_follow_up_days(self, team_id: int, days: int) -> None:
        """Set the team's follow-up days (ValueError outside FOLLOW_UP_DAYS_RANGE)."""
        low, high = FOLLOW_UP_DAYS_RANGE
        if isinstance(days, bool) or not isinstance(days, int) or not low <= days <= high:
            raise ValueError(f"The follow-up days must be a whole number from {low} to {high}.")
        with self.engine.begin() as conn:
            where = team_settings.c.team_id == int(team_id)
            if conn.execute(
                update(team_settings).where(where).values(follow_up_days=days)
            ).rowcount:
                return
            conn.execute(team_settings.insert().values(team_id=int(team_id), follow_up_days=days))

    def paid_seen_at(self, username: str) -> datetime | None:
        """When `username` last dismissed Paid since you last looked (None: never)."""
        query = select(seen.c.paid_seen_at).where(seen.c.username == username.lower())
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def set_paid_seen(self, username: str, at: datetime | None = None) -> None:
        """`username` has seen every payment up to `at` (default now)."""
        at = at or datetime.now(UTC)
        with self.engine.begin() as conn:
            where = seen.c.username == username.lower()
            if conn.execute(update(seen).where(where).values(paid_seen_at=at)).rowcount:
                return
            conn.execute(seen.insert().values(username=username.lower(), paid_seen_at=at))

    def user_prefs(self, username: str) -> UserPrefs | None:
        """The language `username` chose (None: never chose; the browser's language applies)."""
        query = select(user_prefs.c.language, user_prefs.c.buddhist_era).where(
            user_prefs.c.username == username.lower()
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return UserPrefs(row.language, bool(row.buddhist_era)) if row else None

    def set_user_prefs(self, username: str, prefs: UserPrefs) -> None:
        """Remember `username`'s language and era choice (one row per user, replaced)."""
        values = {
            "language": str(prefs.language)[:8],
            "buddhist_era": bool(prefs.buddhist_era),
            "updated_at": datetime.now(UTC),
        }
        with self.engine.begin() as conn:
            where = user_prefs.c.username == username.lower()
            if conn.execute(update(user_prefs).where(where).values(**values)).rowcount:
                return
            conn.execute(user_prefs.insert().values(username=username.lower(), **values))

    def thai_particle(self, username: str) -> str | None:
        """How `username` ends a Thai message to a customer: "ka" or "krap" (None: never
        chose)."""
        query = select(message_prefs.c.thai_particle).where(
            message_prefs.c.username == username.lower()
        )
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def set_thai_particle(self, username: str, particle: str) -> None:
        """Remember `username`'s Thai particle ("ka" or "krap")."""
        if particle not in ("ka", "krap"):
            raise ValueError(f"particle must be ka or krap, not {particle!r}")
        values = {"thai_particle": particle, "updated_at": datetime.now(UTC)}
        with self.engine.begin() as conn:
            where = message_prefs.c.username == username.lower()
            if conn.execute(update(message_prefs).where(where).values(**values)).rowcount:
                return
            conn.execute(message_prefs.insert().values(username=username.lower(), **values))

    def unannounced(self, username: str, payment_ids: Iterable[str]) -> list[str]:
        """Those of `payment_ids` not yet announced to `username`, in the order given."""
        wanted = [str(p) for p in payment_ids]
        if not wanted:
            return []
        query = select(announced.c.payment_id).where(
            announced.c.username == username.lower(), announced.c.payment_id.in_(wanted)
        )
        with self.engine.connect() as conn:
            done = set(conn.execute(query).scalars())
        return [p for p in wanted if p not in done]

    def mark_announced(self, username: str, payment_ids: Iterable[str]) -> None:
        """`payment_ids` were announced to `username` (again is harmless)."""
        now = datetime.now(UTC)
        fresh = self.unannounced(username, payment_ids)
        with self.engine.begin() as conn:
            for payment_id in dict.fromkeys(fresh):
                try:
                    with conn.begin_nested():  # another tab of the same user may be first
                        conn.execute(
                            announced.insert().values(
                                username=username.lower(), payment_id=payment_id, announced_at=now
                            )
                        )
                except IntegrityError:
                    continue

    # -- logins ------------------------------------------------------------------------------

    def login_generation(self, username: str) -> int:
        """The generation of `username`'s logins now (0: never ended); a login made in an
        older one is over."""
        query = select(login_generations.c.generation).where(
            login_generations.c.username == username.lower()
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def end_logins(self, username: str) -> int:
        """End every login of `username` made so far, in every browser and app process (for
        a log-out, a password change or reset, a disabled user); the new generation."""
        name = username.lower()
        t = login_generations
        with self.engine.begin() as conn:
            # One atomic statement: two processes ending logins at once both count.
            insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert
            stmt = insert(t).values(username=name, generation=1, changed_at=datetime.now(UTC))
            stmt = stmt.on_conflict_do_update(
                index_elements=[t.c.username],
                set_={"generation": t.c.generation + 1, "changed_at": datetime.now(UTC)},
            ).returning(t.c.generation)
            return int(conn.execute(stmt).scalar_one())

    # -- uploads ----------------------------------------------------------------------------

    def start_upload(
        self,
        upload_id: str,
        *,
        username: str,
        team_id: int,
        filename: str,
        rows: Sequence[RowParams],
    ) -> None:
        """Store an upload's rows to create. Run again (a resume, or the same file uploaded
        again), rows already sent keep what was sent and their outcome; rows never sent take
        the new values (the preview may have been edited)."""
        username = username.lower()
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            found = conn.execute(
                select(uploads.c.username).where(uploads.c.upload_id == upload_id)
            ).first()
            if found is None:
                conn.execute(
                    uploads.insert().values(
                        upload_id=upload_id,
                        username=username,
                        team_id=int(team_id),
                        filename=filename[:255],
                        created_at=now,
                        rows=len(rows),
                    )
                )
            elif found.username != username:
                raise PermissionError("this upload belongs to another user")
            stored = {
                r.row_no: r.state
                for r in conn.execute(
                    select(upload_rows.c.row_no, upload_rows.c.state).where(
                        upload_rows.c.upload_id == upload_id
                    )
                )
            }
            for params in rows:
                values = _row_values(params)
                state = stored.get(params.row_no)
                if state is None:
                    conn.execute(
                        upload_rows.insert().values(
                            upload_id=upload_id, row_no=params.row_no, state=WAITING, **values
                        )
                    )
                elif state == WAITING:
                    conn.execute(
                        update(upload_rows)
                        .where(_row_key(upload_id, params.row_no))
                        .values(**values)
                    )
            conn.execute(
                update(uploads)
                .where(uploads.c.upload_id == upload_id)
                .values(rows=len(set(stored) | {p.row_no for p in rows}))
            )

    def upload(self, upload_id: str, username: str) -> Upload | None:
        """The upload if it is `username`'s; other users' uploads are not visible."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(uploads).where(
                    uploads.c.upload_id == upload_id, uploads.c.username == username.lower()
                )
            ).first()
        return Upload(**row._asdict()) if row else None

    def uploads_of(self, username: str) -> list[Upload]:
        """`username`'s uploads, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(uploads)
                .where(uploads.c.username == username.lower())
                .order_by(uploads.c.created_at.desc())
            ).all()
        return [Upload(**r._asdict()) for r in rows]

    def upload_rows(self, upload_id: str, username: str) -> list[UploadRow]:
        """The rows of `username`'s upload in order (none when the upload is not theirs)."""
        query = (
            select(upload_rows)
            .join(uploads, uploads.c.upload_id == upload_rows.c.upload_id)
            .where(upload_rows.c.upload_id == upload_id, uploads.c.username == username.lower())
            .order_by(upload_rows.c.row_no)
        )
        with self.engine.connect() as conn:
            return [_upload_row(r) for r in conn.execute(query)]

    def upload_counts(self, upload_id: str) -> dict[str, int]:
        """State -> how many of the upload's rows are in it."""
        query = (
            select(upload_rows.c.state, func.count())
            .where(upload_rows.c.upload_id == upload_id)
            .group_by(upload_rows.c.state)
        )
        with self.engine.connect() as conn:
            return {state: int(n) for state, n in conn.execute(query)}

    def mark_sending(self, upload_id: str, row_no: int) -> datetime | None:
        """Note that a row is about to be sent. Answers when it was first sent before (the
        create check must look for its link from then), or None on its first send."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            before = conn.execute(
                select(upload_rows.c.attempted_at).where(_row_key(upload_id, row_no))
            ).scalar_one()
            conn.execute(
                update(upload_rows)
                .where(_row_key(upload_id, row_no))
                .values(state=SENDING, attempted_at=before or now, error=None)
            )
        return before

    def mark_done(
        self,
        upload_id: str,
        row_no: int,
        *,
        link_id: int,
        payment_url: str | None,
        team_id: int,
        made_by: str,
    ) -> None:
        """A row's link exists: store it and its ownership together."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(
                update(upload_rows)
                .where(_row_key(upload_id, row_no))
                .values(
                    state=DONE,
                    link_id=int(link_id),
                    payment_url=payment_url,
                    error=None,
                    done_at=now,
                )
            )
            _insert_owner(
                conn,
                link_id=int(link_id),
                team_id=int(team_id),
                made_by=made_by.lower(),
                made_at=now,
                how="bulk",
                upload_id=upload_id,
                upload_row=row_no,
            )

    def mark_failed(self, upload_id: str, row_no: int, error: str) -> None:
        """A row's send ended in an error; it waits for Resume (its attempt time kept)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(upload_rows)
                .where(_row_key(upload_id, row_no))
                .values(state=FAILED, error=error[:1000])
            )

    # -- paid-link alerts -------------------------------------------------------------------

    def alert_prefs(self, username: str) -> AlertPrefs:
        """`username`'s alert channels (the defaults when never set)."""
        query = select(alert_prefs).where(alert_prefs.c.username == username.lower())
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return AlertPrefs()
        return AlertPrefs(row.email_on, row.line_user_id, bool(row.team_alerts))

    def set_alert_prefs(self, username: str, prefs: AlertPrefs) -> None:
        """Replace `username`'s alert channels (checks are the caller's: `notify.prefs`)."""
        values = {
            "email_on": prefs.email_on,
            "line_user_id": prefs.line_user_id or None,
            "team_alerts": bool(prefs.team_alerts),
            "updated_at": datetime.now(UTC),
        }
        with self.engine.begin() as conn:
            where = alert_prefs.c.username == username.lower()
            if conn.execute(update(alert_prefs).where(where).values(**values)).rowcount:
                return
            conn.execute(alert_prefs.insert().values(username=username.lower(), **values))

    def alert_prefs_of(self, usernames: Sequence[str]) -> dict[str, AlertPrefs]:
        """The stored alert channels of `usernames` (absent: never set), in one query."""
        names = sorted({u.lower() for u in usernames})
        if not names:
            return {}
        query = select(alert_prefs).where(alert_prefs.c.username.in_(names))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {
            r.username: AlertPrefs(r.email_on, r.line_user_id, bool(r.team_alerts)) for r in rows
        }

    def team_alert_subscribers(self) -> list[str]:
        """Users who asked for every payment of their teams (whether they may: the caller)."""
        query = select(alert_prefs.c.username).where(alert_prefs.c.team_alerts.is_(True))
        with self.engine.connect() as conn:
            return sorted(conn.execute(query).scalars())


def _row_key(upload_id: str, row_no: int):
    return and_(upload_rows.c.upload_id == upload_id, upload_rows.c.row_no == int(row_no))


def _row_values(p: RowParams) -> dict:
    return {
        "name": p.name,
        "amount": int(p.amount),
        "currency": p.currency.lower(),
        "template_id": int(p.template_id),
        "multiple_usage": bool(p.multiple_usage),
        "note": p.note,
    }


def _upload_row(r) -> UploadRow:
    return UploadRow(
        params=RowParams(
            row_no=r.row_no,
            name=r.name,
            amount=int(r.amount),
            currency=r.currency,
            template_id=int(r.template_id),
            multiple_usage=bool(r.multiple_usage),
            note=r.note,
        ),
        state=r.state,
        attempted_at=r.attempted_at,
        link_id=r.link_id,
        payment_url=r.payment_url,
        error=r.error,
    )


def _insert_owner(conn: Connection, **values) -> None:
    # A savepoint: a second record of a link fails alone, not the whole transaction.
    try:
        with conn.begin_nested():
            conn.execute(link_owners.insert().values(**values))
    except IntegrityError:
        pass  # recorded already (a retried bulk row, a double submit): the first stays
