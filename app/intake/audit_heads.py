"""Intake's copies of the provider console's audit-chain heads (DESIGN G8).

After each sync the console sends the head of its keyed audit chain: the newest entry's
number and MAC. Intake cannot check a MAC (it never holds the key); it only keeps every head
it is sent, so the console can later find out whether its own log was rewritten or cut short.

Append-only by construction: this module inserts and reads, and nothing in the code base
updates or deletes a head. A head is refused (Conflict) when intake already holds a different
MAC for that entry, or a later head for the same recipient: a console whose chain went
backwards was truncated or rebuilt, and saying so is the point. Sending the same head again
is harmless (idempotent), so a sync that breaks after sending it can repeat it.
"""

from __future__ import annotations

import hmac
import re

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import intake_db as db
from app.intake.incoming import Conflict, Invalid
from app.models.intake import AuditHead

MAC = re.compile(r"[0-9a-f]{64}")
MAX_SEQ = 2**31 - 1  # the column is a 32-bit INTEGER on both databases


def store(recipient_id: str, seq: int, mac: str) -> tuple[AuditHead, bool]:
    """Keep one head; (the head, True when new). Conflict when it contradicts one held."""
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= MAX_SEQ:
        raise Invalid(f"seq must be a whole number from 1 to {MAX_SEQ}")
    if not isinstance(mac, str) or not MAC.fullmatch(mac):
        raise Invalid("mac must be 64 lowercase hexadecimal characters")
    held = db.session.get(AuditHead, (recipient_id, seq))
    if held is not None:
        if not hmac.compare_digest(held.mac, mac):
            raise Conflict(f"Intake already holds a different head for entry {seq}")
        return held, False
    latest = db.session.scalar(
        select(func.max(AuditHead.seq)).where(AuditHead.recipient_id == recipient_id)
    )
    if latest is not None and seq < latest:
        raise Conflict(f"Intake already holds a later head (entry {latest})")
    head = AuditHead(recipient_id=recipient_id, seq=seq, mac=mac)
    db.session.add(head)
    try:
        db.session.commit()
    except IntegrityError:
        # Another request stored this entry's head first: answer as if it came first.
        db.session.rollback()
        return store(recipient_id, seq, mac)
    return head, True


def page(recipient_id: str, after: int, limit: int) -> tuple[list[AuditHead], int | None]:
    """The recipient's heads in entry order after `after`; and the cursor if more follow."""
    rows = list(
        db.session.scalars(
            select(AuditHead)
            .where(AuditHead.recipient_id == recipient_id, AuditHead.seq > after)
            .order_by(AuditHead.seq)
            .limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, rows[-1].seq if more else None
