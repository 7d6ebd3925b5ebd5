"""The console-side writes of a sync: insert-or-ignore, so repeating any of them is harmless.

Every pulled item is stored together with an outbox row that confirms it to intake, in one
transaction. So the confirmation is durable: if the sync breaks after the commit, the next
run sends it from the outbox even though intake no longer lists the item (G9).
Nothing here decrypts: the sync job holds no key.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Date, Insert, LargeBinary, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.console.cases import DEFAULT_RETENTION_DAYS
from app.extensions import console_db as db
from app.models.console import Case, CaseMessage, OutboxItem, utcnow

ACK_PATHS = {
    "referral": "/referrals/{}/delivered",
    "message": "/messages/{}/delivered",
    "withdrawal": "/withdrawals/{}/acknowledged",
}


class MalformedItem(ValueError):
    """Intake sent an item this console cannot store (nothing about it is confirmed)."""


def ack_id(kind: str, intake_id: str) -> str:
    """Deterministic, so storing an item twice queues one confirmation, not two."""
    return f"ack:{kind}:{intake_id}"


def is_ack(item_id: str) -> bool:
    return item_id.startswith("ack:")


def _insert(model: type) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT DO NOTHING (SQLite and PostgreSQL)."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)


def _blob(item: Mapping[str, Any], name: str, required: bool = True) -> bytes | None:
    value = item.get(name)
    if value is None and not required:
        return None
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedItem(f"{name} is not base64") from None


def _day(item: Mapping[str, Any], name: str) -> date:
    try:
        return date.fromisoformat(str(item[name]))
    except (KeyError, ValueError):
        raise MalformedItem(f"{name} is not a date") from None


def _id(item: Mapping[str, Any], name: str = "id") -> str:
    value = item.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= 32:
        raise MalformedItem(f"{name} is not an id")
    return value


def _queue_acks(kind: str, pairs: Iterable[tuple[str, str]]) -> None:
    """Queue confirmations as (intake id, case id) pairs; an existing one is left alone."""
    rows = [
        {"id": ack_id(kind, intake_id), "case_id": case_id, "method": "POST",
         "path": ACK_PATHS[kind].format(intake_id), "body": "", "created_at": utcnow()}
        for intake_id, case_id in pairs
    ]
    if rows:
        db.session.execute(_insert(OutboxItem).on_conflict_do_nothing(index_elements=["id"]), rows)


def case_row(item: Mapping[str, Any]) -> dict[str, Any]:
    """A Case row from a pulled referral; raises MalformedItem before anything is written."""
    return {
        "id": _id(item),
        "source": "online",
        "service": str(item.get("service", ""))[:16],
        "received_on": _day(item, "received_on"),
        "status": "new",
        "sealed": _blob(item, "sealed"),
        "referrer_public_key": _blob(item, "referrer_public_key", required=False),
    }


def store_cases(rows: list[dict[str, Any]]) -> int:
    """Insert the cases not yet held and queue their confirmations; commit; count new ones."""
    statement: Insert = _insert(Case).on_conflict_do_nothing(index_elements=["id"])
    new = db.session.scalars(statement.returning(Case.id), rows).all() if rows else []
    _queue_acks("referral", ((row["id"], row["id"]) for row in rows))
    db.session.commit()
    return len(new)


def _message_order(item: Mapping[str, Any]) -> tuple[str, int, str]:
    """Oldest first: day, then intake's position. Intake already lists messages in this order
    (so a thread keeps it across pages); sorting again keeps an older intake's pages right."""
    position = item.get("position")
    return (str(item.get("sent_on")), position if isinstance(position, int) else 0, str(item["id"]))


def store_messages(items: list[Mapping[str, Any]]) -> tuple[list[str], int, list[str]]:
    """Insert a page of referrer messages, uncommitted: (stored ids, how many new, problems).

    Each message takes the next position of its case, computed inside the INSERT itself.
    The page's cases are locked first, in id order (PostgreSQL: SELECT ... FOR UPDATE; SQLite
    locks the whole file for a write), so two syncs cannot take the same position and cannot
    deadlock. Anything else that adds to a thread must lock the case row the same way.
    """
    problems: list[str] = []
    valid = []
    for item in items:
        try:
            valid.append((_id(item), _id(item, "referral_id"), _day(item, "sent_on"),
                          _blob(item, "sealed"), item))
        except MalformedItem as error:
            problems.append(f"a message could not be stored ({error})")
    case_ids = sorted({case_id for _, case_id, _, _, _ in valid})
    held = set(
        db.session.scalars(
            select(Case.id).where(Case.id.in_(case_ids)).order_by(Case.id).with_for_update()
        )
    ) if case_ids else set()
    stored, new = [], 0
    valid.sort(key=lambda v: _message_order(v[4]))
    for message_id, case_id, sent_on, sealed, _ in valid:
        if case_id not in held:
            problems.append("a message arrived for a case this console does not hold")
            continue
        new += _insert_message(message_id, case_id, sent_on, sealed)
        stored.append(message_id)
    _queue_acks("message", [(v[0], v[1]) for v in valid if v[0] in set(stored)])
    return stored, new, problems


def _insert_message(message_id: str, case_id: str, sent_on: date, sealed: bytes | None) -> bool:
    """True when new; an id already held is left exactly as it is."""
    next_position = (
        select(func.coalesce(func.max(CaseMessage.position), 0) + 1)
        .where(CaseMessage.case_id == case_id)
        .scalar_subquery()
    )
    source = select(
        literal(message_id), literal(case_id), next_position, literal("referrer"),
        literal(sent_on, Date()), literal(sealed, LargeBinary()),
    )
    statement = _insert(CaseMessage).from_select(
        ["id", "case_id", "position", "author", "sent_on", "sealed"], source
    ).on_conflict_do_nothing(index_elements=["id"])
    # RETURNING, not rowcount: drivers need not report a row count for INSERT ... SELECT.
    return db.session.scalar(statement.returning(CaseMessage.id)) is not None


def store_withdrawal(item: Mapping[str, Any]) -> bool | None:
    """Mark the case withdrawn, uncommitted: True when newly so, None when not held.

    The case is kept, not deleted: the provider may have to keep a record of support already
    given, so advisors see it marked withdrawn and it leaves through the normal retention
    purge, dated from the withdrawal like a closure (a closed case keeps its closing date).
    """
    case_id = _id(item)
    # Intake may not know the day; the day we heard of it is the next best.
    day = date.today() if item.get("withdrawn_on") is None else _day(item, "withdrawn_on")
    days = int(current_app.config.get("RETENTION_DAYS_AFTER_CLOSE", DEFAULT_RETENTION_DAYS))
    purge_after = func.coalesce(Case.purge_after, literal(day + timedelta(days=days), Date()))
    marked = db.session.execute(
        update(Case)
        .where(Case.id == case_id, Case.withdrawn_on.is_(None))
        .values(withdrawn_on=day, purge_after=purge_after)
    ).rowcount
    if not marked and db.session.get(Case, case_id) is None:
        return None
    _queue_acks("withdrawal", [(case_id, case_id)])
    return bool(marked)


def mark_sent(item_ids: Iterable[str]) -> None:
    ids = list(item_ids)
    if ids:
        db.session.execute(
            update(OutboxItem)
            .where(OutboxItem.id.in_(ids), OutboxItem.sent_at.is_(None))
            .values(sent_at=utcnow())
        )
        db.session.commit()
