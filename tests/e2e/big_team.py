"""A team with a large business, for the screen checks: six salespeople (long names, Thai
ones too), links with long names, and payments whose volumes reach 10^10 THB, written
straight into the app's event log and workspace (the same SQLite file)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from linksplus.console.users import UserRecord, hash_password, save_users
from linksplus.eventlog import EventLog
from linksplus.workspace import Workspace

TEAM = 101
SALESPEOPLE = {
    "kittipong": "Kittipong Wongsawat-Charoenrat (Corporate Accounts)",
    "nattawut": "ณัฐวุฒิ ศรีสุวรรณวงศ์ (ฝ่ายขายองค์กร)",
    "somchai": "Somchai (Sales)",
    "pimchanok": "Pimchanok Rattanakosin",
    "araya": "Araya Thongchai",
    "wanna": "วรรณา ใจดี",
}
LINK_NAMES = (
    "Deposit for order 1042 — Sukhumvit showroom",
    "มัดจำงานแต่งงาน ห้องบอลรูม โรงแรมริมแม่น้ำ",
    "Annual maintenance contract, Chiang Mai plant",
)
# Satang: the busiest salesperson's links bring in 12,345,678,901.23 THB (above 10^10).
TOP_AMOUNT = 1_234_567_890_123


def seed_big_team(sandbox, db_url: str, users_path: Path, password: str) -> dict[str, str]:
    """Links, owners, payments and users of the big team; the users file's people."""
    people = {"manager": "Malee (Manager)", **SALESPEOPLE}
    save_users(
        users_path,
        [
            UserRecord(
                name,
                full,
                f"{name}@example.com",
                ["manager" if name == "manager" else "sales"],
                [TEAM],
                hash_password(password),
            )
            for name, full in people.items()
        ],
    )
    sandbox.control("POST", f"/teams/{TEAM}/templates", json={"name": "Shop"})
    client = sandbox.client()
    template = client.list_templates(TEAM)[0].id
    ws, log = Workspace(db_url), EventLog(db_url)
    now = datetime.now(UTC)
    try:
        for rank, username in enumerate(SALESPEOPLE):
            for n, name in enumerate(LINK_NAMES):
                link = client.create_link(
                    template_id=template,
                    team_id=TEAM,
                    name=name,
                    amount=250_000 + 1000 * rank,
                    multiple_usage=True,
                )
                ws.record_link(link.id, TEAM, username, "form")
                amount = TOP_AMOUNT // (rank + 1) // (n + 1)
                for k, status in enumerate(("successful", "successful", "failed")):
                    log.record(
                        {
                            "event": "payment.completed",
                            "link_id": link.id,
                            "payment": {
                                "id": f"chrg_big_{link.id}_{k}",
                                "amount": amount + k,
                                "currency": "thb",
                                "status": status,
                            },
                            "timestamp": (now + timedelta(minutes=5 * (k + 1))).isoformat(),
                        }
                    )
    finally:
        ws.close()
        log.close()
    return people
