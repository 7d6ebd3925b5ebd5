"""The console's append-only audit log: a keyed hash chain, anchored at intake (G8).

Each entry's MAC (HMAC-SHA256 under AUDIT_CHAIN_KEY, which lives in the console's
configuration, never in its database) covers the entry's fields and the previous entry's MAC.
So editing or deleting any entry breaks a link, and so does rebuilding the chain without the
key (with plain SHA-256, say). `prev_hash` is unique: two writers racing to append after the
same entry cannot both succeed, so the chain never forks.

Truncating the newest entries is the one change a chain cannot show by itself, and someone
holding the key could rewrite it whole. So each sync sends the head (seq + MAC) to intake,
which keeps every head append-only, and `verify` checks the chain against those copies too,
naming the first entry where the two part.

`tally` is for events anyone can cause without an account (an anonymous failed sign-in):
it counts them in one row per action and day, and chains each finished day's total as one
entry, so such events cannot grow the log without bound.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from app.console import sla
from app.console.intake_client import IntakeClient
from app.extensions import DbSession
from app.models.console import AuditEntry, AuditTally, utcnow

GENESIS = "0" * 64


def chain_key() -> bytes:
    key = current_app.config["AUDIT_CHAIN_KEY"]
    return key.encode() if isinstance(key, str) else bytes(key)


def _digest(entry: AuditEntry, key: bytes) -> str:
    canonical = json.dumps(
        [
            entry.seq,
            entry.at.isoformat(),
            entry.actor,
            entry.action,
            entry.subject,
            entry.detail,
            entry.prev_hash,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def append(
    session: DbSession, actor: str, action: str, subject: str = "", detail: str = ""
) -> AuditEntry:
    """Stage an entry without committing, so it commits (or not) with the caller's change.

    The entry goes in under a savepoint: if another writer appended first (the unique
    `prev_hash` refuses a fork), only the entry is retried, never the caller's change.
    """
    key = chain_key()
    for _ in range(5):
        head = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()
        entry = AuditEntry(
            seq=(head.seq + 1) if head else 1,
            at=utcnow(),
            actor=actor,
            action=action,
            subject=subject,
            detail=detail,
            prev_hash=head.hash if head else GENESIS,
        )
        entry.hash = _digest(entry, key)
        try:
            with session.begin_nested():
                session.add(entry)
        except IntegrityError:
            continue  # another writer appended first: chain onto theirs
        return entry
    raise RuntimeError("audit log busy; nothing was recorded")


def record(
    session: DbSession, actor: str, action: str, subject: str = "", detail: str = ""
) -> AuditEntry:
    """Append an entry and commit it together with whatever the caller has staged."""
    entry = append(session, actor, action, subject, detail)
    session.commit()
    return entry


def _insert(session: DbSession, model: type) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)


def tally(session: DbSession, action: str, on: date | None = None) -> None:
    """Count one event of `action` today, without an entry of its own; commits.

    For events a stranger can cause at will. Days already over are chained first, one entry
    each ("<count> on <day>"), so the log grows by at most one entry per action and day.
    """
    day = on or sla.today()
    flush_tallies(session, before=day)
    statement = _insert(session, AuditTally).values(action=action, day=day, count=1)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["action", "day"], set_={"count": AuditTally.count + 1}
        )
    )
    session.commit()


def flush_tallies(session: DbSession, before: date) -> int:
    """Chain the totals of the days before `before`; returns how many entries were made."""
    made = 0
    for action, day in session.execute(
        select(AuditTally.action, AuditTally.day).where(AuditTally.day < before)
        .order_by(AuditTally.day, AuditTally.action)
    ).all():
        # DELETE ... RETURNING: of two writers flushing at once, only one gets the count.
        count = session.scalar(
            delete(AuditTally)
            .where(AuditTally.action == action, AuditTally.day == day)
            .returning(AuditTally.count)
        )
        if count is not None:
            append(session, "system", action, "", f"{count} on {day.isoformat()}")
            made += 1
        session.commit()
    return made


@dataclass(frozen=True)
class Head:
    """The newest entry's place and MAC: what intake keeps a copy of after each sync."""

    seq: int
    mac: str


def head(session: DbSession) -> Head | None:
    newest = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()
    return Head(newest.seq, newest.hash) if newest else None


def fetch_heads(client: IntakeClient, page_size: int = 500) -> list[Head]:
    """Every copy of the head intake holds for this console (GET /audit-heads, all pages).

    Raises IntakeError when intake cannot answer, ValueError when an answer is malformed.
    """
    heads: list[Head] = []
    after: str | None = None
    while True:
        body = client.get("/audit-heads", {"after": after, "limit": page_size}).body
        items = body.get("items")
        if not isinstance(items, list):
            raise ValueError("intake sent no list of audit heads")
        for item in items:
            seq, mac = (item.get("seq"), item.get("mac")) if isinstance(item, dict) else (0, 0)
            if isinstance(seq, bool) or not isinstance(seq, int) or not isinstance(mac, str):
                raise ValueError("intake sent a malformed audit head")
            heads.append(Head(seq, mac))
        after = body.get("next")
        if not after:
            return heads


@dataclass(frozen=True)
class Verification:
    entries: int
    head: str
    broken_at: int | None
    reason: str = ""
    anchors: int = 0  # intake's copies of the head that were checked

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify(session: DbSession, anchors: Iterable[Head] = ()) -> Verification:
    """Walk the chain from the start; report the first entry that does not fit the chain or
    intake's copy of the head at that entry, or the first head intake holds past the end."""
    key = chain_key()
    copies: dict[int, list[str]] = {}
    for anchor in anchors:
        copies.setdefault(anchor.seq, []).append(anchor.mac)
    checked = sum(len(macs) for macs in copies.values())
    previous = GENESIS
    expected_seq = 1
    count = 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
        if entry.seq != expected_seq:
            return Verification(
                count, previous, entry.seq, f"entry {expected_seq} is missing", checked
            )
        if entry.prev_hash != previous:
            return Verification(
                count, previous, entry.seq, "does not follow the entry before it", checked
            )
        if not hmac.compare_digest(_digest(entry, key), entry.hash):
            return Verification(count, previous, entry.seq, "its contents were changed", checked)
        if not all(hmac.compare_digest(mac, entry.hash) for mac in copies.pop(entry.seq, [])):
            return Verification(
                count, previous, entry.seq, "differs from intake's copy of the head", checked
            )
        previous = entry.hash
        expected_seq += 1
        count += 1
    if copies:
        first = min(copies)
        return Verification(
            count, previous, expected_seq,
            f"entries {expected_seq} to {first} are missing (intake holds the head at {first})",
            checked,
        )
    return Verification(count, previous, None, anchors=checked)

