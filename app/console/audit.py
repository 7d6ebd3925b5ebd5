"""The console's append-only, hash-chained audit log (G8).

Each entry's hash covers its own fields and the previous entry's hash, so editing or deleting
any entry breaks every later link. `prev_hash` is unique: two writers racing to append after
the same entry cannot both succeed, so the chain never forks. Truncating the newest entries is
the one change a chain cannot show by itself, so `verify` prints the head hash for the manager
to note outside the system (for example in the provider's own records each week).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models.console import AuditEntry, utcnow

GENESIS = "0" * 64


def _digest(entry: AuditEntry) -> str:
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
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(
    session: Session, actor: str, action: str, subject: str = "", detail: str = ""
) -> AuditEntry:
    """Append an entry and commit it together with whatever the caller has staged.

    The entry goes in under a savepoint: if another writer appended first (the unique
    `prev_hash` refuses a fork), only the entry is retried, never the caller's change.
    """
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
        entry.hash = _digest(entry)
        try:
            with session.begin_nested():
                session.add(entry)
        except IntegrityError:
            continue  # another writer appended first: chain onto theirs
        session.commit()
        return entry
    raise RuntimeError("audit log busy; nothing was recorded")


@dataclass(frozen=True)
class Verification:
    entries: int
    head: str
    broken_at: int | None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify(session: Session) -> Verification:
    """Walk the chain from the start; report the first entry that does not fit."""
    previous = GENESIS
    expected_seq = 1
    count = 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
        if entry.seq != expected_seq:
            return Verification(count, previous, entry.seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != previous:
            return Verification(count, previous, entry.seq, "does not follow the entry before it")
        if _digest(entry) != entry.hash:
            return Verification(count, previous, entry.seq, "its contents were changed")
        previous = entry.hash
        expected_seq += 1
        count += 1
    return Verification(count, previous, None)
