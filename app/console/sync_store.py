"""The console-side writes of a sync: insert-or-ignore, so repeating any of them is harmless.

Every pulled item is stored together with an outbox row that confirms it to intake, in one
transaction. So the confirmation is durable: if the sync breaks after the commit, the next
run sends it from the outbox even though intake no longer lists the item (G9).
Nothing here decrypts: the sync job holds no key.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, cast

from flask import current_app
from sqlalchemy import (
    CursorResult,
    Date,
    Insert,
    Integer,
    LargeBinary,
    func,
    literal,
    select,
    update,
)
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
        # The referrer's reply key is read from inside the envelope (v2) by someone with a
        # key; a clear copy beside it would be intake's word, which is not trusted (G2).
        "sealed": _blob(item, "sealed"),
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


def store_messages(items: Sequence[Mapping[str, Any]]) -> tuple[list[str], int, list[str]]:
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
                          _blob(item, "sealed"), item, _origin(item)))
        except MalformedItem as error:
            problems.append(f"a message could not be stored ({error})")
    case_ids = sorted({v[1] for v in valid})
    held = set(
        db.session.scalars(
            select(Case.id).where(Case.id.in_(case_ids)).order_by(Case.id).with_for_update()
        )
    ) if case_ids else set()
    stored, new = [], 0
    valid.sort(key=lambda v: _message_order(v[4]))
    for message_id, case_id, sent_on, sealed, _, origin in valid:
        if case_id not in held:
            problems.append("a message arrived for a case this console does not hold")
            continue
        new += _insert_message(message_id, case_id, sent_on, sealed, origin)
        stored.append(message_id)
    _queue_acks("message", [(v[0], v[1]) for v in valid if v[0] in set(stored)])
    return stored, new, problems


def _origin(item: Mapping[str, Any]) -> tuple[int | None, bytes | None]:
    """The referrer's sequence number and proof, as intake passed them on. Not checked here
    (the sync holds no key): app/console/origin_checks.py checks them before anyone sees it."""
    sequence = item.get("sequence")
    if sequence is not None and (type(sequence) is not int or not 0 < sequence < 2**31):
        raise MalformedItem("sequence is not a whole number from 1")
    return sequence, _blob(item, "proof", required=False)


def _insert_message(
    message_id: str, case_id: str, sent_on: date, sealed: bytes | None,
    origin: tuple[int | None, bytes | None],
) -> bool:
    """True when new; an id already held is left exactly as it is."""
    next_position = (
        select(func.coalesce(func.max(CaseMessage.position), 0) + 1)
        .where(CaseMessage.case_id == case_id)
        .scalar_subquery()
    )
    source = select(
        literal(message_id), literal(case_id), next_position, literal("referrer"),
        literal(sent_on, Date()), literal(sealed, LargeBinary()),
        literal(origin[0], Integer()), literal(origin[1], LargeBinary()),
    )
    statement = _insert(CaseMessage).from_select(
        ["id", "case_id", "position", "author", "sent_on", "sealed", "sequence", "proof"], source
    ).on_conflict_do_nothing(index_elements=["id"])
    # RETURNING, not rowcount: drivers need not report a row count for INSERT ... SELECT.
    return db.session.scalar(statement.returning(CaseMessage.id)) is not None


class Refused(Exception):
    """Intake sent something impossible: the console does not act on it (G9). Content-free,
    so it can go to the audit log and the sync page as it is."""

    def __init__(self, case_id: str, kind: str, reason: str) -> None:
        super().__init__(f"{kind} refused: {reason}")
        self.case_id = case_id
        self.kind = kind
        self.reason = reason


def withdrawal_retention_days() -> int:
    """How long a withdrawn case is kept, from the day the console learns of it."""
    config = current_app.config
    closed = config.get("RETENTION_DAYS_AFTER_CLOSE", DEFAULT_RETENTION_DAYS)
    return max(1, int(config.get("WITHDRAWN_RETENTION_DAYS", closed)))


def _withdrawal_day(case: Case, item: Mapping[str, Any], today: date) -> date:
    """The withdrawal's date once it is shown possible; raises Refused otherwise.

    Intake's database is not trusted (threat 1): anyone who can write to it can mark a
    referral withdrawn with any date. These checks need no key; the phrase holder's proof,
    which binds the date, is checked by someone with a key (app/console/origin_checks.py).
    """
    # Intake may not know the day; the day we heard of it is the next best.
    day = today if item.get("withdrawn_on") is None else _day(item, "withdrawn_on")
    if day > today:
        raise Refused(case.id, "withdrawal", "dated after today")
    if day < case.received_on:
        raise Refused(case.id, "withdrawal", "dated before the referral was received")
    # Withdrawing deletes the referrer's messages at intake and closes the thread, so no
    # message of theirs can be dated after it.
    last_message = db.session.scalar(
        select(func.max(CaseMessage.sent_on)).where(
            CaseMessage.case_id == case.id, CaseMessage.author == "referrer"
        )
    )
    if last_message is not None and day < last_message:
        raise Refused(case.id, "withdrawal", "dated before a message the referrer sent")
    return day


def store_withdrawal(item: Mapping[str, Any], today: date) -> bool | None:
    """Hold a withdrawal claim, uncommitted: True when newly held, None when the case is not.

    Nothing about the case changes yet: the sync holds no key, and only the phrase holder's
    proof, checked later by someone with a key (app/console/origin_checks.py), makes it a
    withdrawal. Then the case is kept, not deleted, and leaves through the normal retention
    purge, counted from the day the proof was checked, so no withdrawal brings a purge forward.

    Raises Refused for an impossible or unproven withdrawal, after queueing its
    acknowledgement all the same: intake then stops offering it, and it is refused once, on
    the record.
    """
    case_id = _id(item)
    case = db.session.get(Case, case_id)
    if case is None:
        return None
    _queue_acks("withdrawal", [(case_id, case_id)])
    if case.withdrawn_on is not None or case.withdrawal_proof is not None:
        return False  # a repeat: the first one stands
    day = _withdrawal_day(case, item, today)
    proof = _blob(item, "proof", required=False)
    if proof is None:
        raise Refused(case_id, "withdrawal", "it carries no proof from the referrer")
    # An UPDATE gives a CursorResult, which has the rowcount; execute() is typed as Result.
    held = cast(
        CursorResult[Any],
        db.session.execute(
            update(Case)
            .where(Case.id == case_id, Case.withdrawn_on.is_(None),
                   Case.withdrawal_proof.is_(None))
            .values(withdrawal_claimed_on=day, withdrawal_proof=proof)
        ),
    ).rowcount
    return bool(held)


def mark_sent(item_ids: Iterable[str]) -> None:
    ids = list(item_ids)
    if ids:
        db.session.execute(
            update(OutboxItem)
            .where(OutboxItem.id.in_(ids), OutboxItem.sent_at.is_(None))
            .values(sent_at=utcnow())
        )
        db.session.commit()
