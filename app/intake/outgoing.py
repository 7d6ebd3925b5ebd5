"""What intake hands over to the provider (DESIGN section 1, G4, G9): the pending lists the
console pulls, and the confirmations that take items off them.

Every operation is scoped to one recipient; a record of another recipient is treated exactly
like one that does not exist. A sync that starts without a cursor and follows `next` until it
is None has seen everything pending, because confirmed items drop out of the lists.

Confirmations come one at a time or in batches of up to 500 ids. The single-item functions
are the batch ones with one id, so both keep the same rules. A batch is one transaction: the
rows are locked in id order, changed by one UPDATE, and read back for the answer. Ids the
recipient does not hold are simply left out of the answer, so it never reveals existence.
All of it is idempotent: a repeat answers the same (G9).

Withdrawals: `referrals.withdraw` keeps a content-free row with status "withdrawn" and the
withdrawal date in `closed_on`. On such a row `delivered_on` means "the provider holds a copy
and has not been told": a withdrawal is pending while it is set, and acknowledging it clears
it. A referral withdrawn before delivery was never seen by the provider, so there is nothing
to tell; if the provider confirms delivery after the withdrawal, the notice becomes pending.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from sqlalchemy import Date, Integer, Select, String, case, func, literal, select, tuple_, update
from sqlalchemy.orm import load_only

from app.extensions import intake_db as db
from app.intake.incoming import Conflict, Invalid, NotFound, referral_of
from app.models.intake import Message, Referral

MAX_BATCH = 500
Item = TypeVar("Item")


@dataclass(frozen=True)
class Page(Generic[Item]):
    items: list[Item]
    next: str | None  # the cursor after this page's last item, when more follow


def _page(query: Select, id_column: Any, after: str | None, limit: int) -> Page:
    if after is not None:
        query = query.where(id_column > after)
    rows = list(db.session.scalars(query.order_by(id_column).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].id if more else None)


def pending_referrals(recipient_id: str, after: str | None, limit: int) -> Page[Referral]:
    """Referrals this recipient has not yet confirmed, while intake still holds their content."""
    query = select(Referral).where(
        Referral.recipient_id == recipient_id, Referral.sealed.is_not(None)
    )
    return _page(query, Referral.id, after, limit)


def pending_withdrawals(recipient_id: str, after: str | None, limit: int) -> Page[Referral]:
    """Withdrawn referrals the provider holds and has not yet been told about."""
    query = select(Referral).where(
        Referral.recipient_id == recipient_id,
        Referral.status == "withdrawn",
        Referral.delivered_on.is_not(None),
    )
    return _page(query, Referral.id, after, limit)


def message_cursor(message: Message) -> str:
    """Opaque to the console: the message's place in the send order. The id comes last since
    it may itself hold "_" (and breaks a tie should two messages share a position)."""
    return f"{message.sent_on:%Y%m%d}_{message.position}_{message.id}"


def _message_place(cursor: str) -> tuple[date, int, str]:
    day, _, rest = cursor.partition("_")
    position, _, message_id = rest.partition("_")
    try:
        if len(day) != 8 or not position.isdigit() or len(position) > 9 or not message_id:
            raise ValueError(cursor)
        return date(int(day[:4]), int(day[4:6]), int(day[6:])), int(position), message_id
    except ValueError:
        raise Invalid("after must be a cursor returned as next by an earlier page") from None


def pending_messages(recipient_id: str, after: str | None, limit: int) -> Page[Message]:
    """Referrers' messages not yet confirmed, once the provider holds their referral.

    In send order, (day, position in the conversation), so each referral's messages come in
    position order however the pages fall: the console files them in the order it gets them.
    """
    key = (Message.sent_on, Message.position, Message.id)
    query = (
        select(Message)
        .join(Referral)
        .where(
            Referral.recipient_id == recipient_id,
            # The console files a message under its case, so the case must come first.
            Referral.delivered_on.is_not(None),
            Message.author == "referrer",
            Message.sealed_for_provider.is_not(None),
        )
    )
    if after is not None:
        day, position, message_id = _message_place(after)
        place = (literal(day, Date()), literal(position, Integer()), literal(message_id, String()))
        query = query.where(tuple_(*key) > tuple_(*place))
    rows = list(db.session.scalars(query.order_by(*key).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, message_cursor(rows[-1]) if more else None)


def _lock(id_column: Any, *where: Any) -> list[str]:
    """The ids matching `where`, row-locked in id order until the commit (PostgreSQL; SQLite
    locks the whole file for a write), so two overlapping batches queue, never deadlock."""
    query = select(id_column).where(*where).order_by(id_column)
    return list(db.session.scalars(query.with_for_update(of=id_column.class_)))


def _read_back(model: Any, asked: Iterable[str], held: list[str], *columns: Any) -> list:
    """The held rows as they now are, in the order asked. Detached before the caller commits,
    so the commit does not expire them and the answer costs no query per row."""
    if not held:
        return []
    query = select(model).where(model.id.in_(held)).options(load_only(*columns))
    rows = db.session.scalars(query.execution_options(populate_existing=True)).all()
    for row in rows:
        db.session.expunge(row)
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in asked if i in by_id]


def _update(model: Any, held: list[str], **values: Any) -> None:
    if held:
        statement = update(model).where(model.id.in_(held)).values(**values)
        db.session.execute(statement, execution_options={"synchronize_session": False})


def confirm_referrals(recipient_id: str, ids: Sequence[str]) -> list[Referral]:
    """The provider stored these referrals: intake deletes its sealed copies (G4)."""
    asked = list(dict.fromkeys(ids))
    held = _lock(Referral.id, Referral.id.in_(asked), Referral.recipient_id == recipient_id)
    _update(
        Referral, held,
        sealed=None,
        # Kept on a repeat, so a retried confirmation gets the same answer.
        delivered_on=func.coalesce(Referral.delivered_on, literal(date.today(), Date())),
        status=case((Referral.status == "received", "delivered"), else_=Referral.status),
    )
    receipts = _read_back(Referral, asked, held, Referral.status, Referral.delivered_on)
    db.session.commit()
    return receipts


def confirm_referral(recipient_id: str, referral_id: str) -> Referral:
    for referral in confirm_referrals(recipient_id, [referral_id]):
        return referral
    raise NotFound("No such referral")


def acknowledge_withdrawals(recipient_id: str, ids: Sequence[str]) -> list[Referral]:
    """The provider knows these referrals were withdrawn: they are no longer pending.

    A referral that is not withdrawn is left out, like one the recipient does not hold.
    """
    asked = list(dict.fromkeys(ids))
    held = _lock(
        Referral.id,
        Referral.id.in_(asked),
        Referral.recipient_id == recipient_id,
        Referral.status == "withdrawn",
    )
    _update(Referral, held, delivered_on=None)
    receipts = _read_back(Referral, asked, held, Referral.closed_on)
    db.session.commit()
    return receipts


def acknowledge_withdrawal(recipient_id: str, referral_id: str) -> Referral:
    for referral in acknowledge_withdrawals(recipient_id, [referral_id]):
        return referral
    referral_of(recipient_id, referral_id)  # NotFound when it is not this recipient's
    raise Conflict("This referral has not been withdrawn")


def confirm_messages(recipient_id: str, ids: Sequence[str]) -> list[Message]:
    """The provider stored these messages: delete its copies (the referrer keeps their own)."""
    asked = list(dict.fromkeys(ids))
    held = _lock(
        Message.id,
        Message.id.in_(asked),
        Message.author == "referrer",
        Message.referral_id.in_(
            select(Referral.id).where(Referral.recipient_id == recipient_id)
        ),
    )
    _update(
        Message, held,
        sealed_for_provider=None,
        delivered_on=func.coalesce(Message.delivered_on, literal(date.today(), Date())),
    )
    receipts = _read_back(Message, asked, held, Message.delivered_on)
    db.session.commit()
    return receipts


def confirm_message(recipient_id: str, message_id: str) -> Message:
    for message in confirm_messages(recipient_id, [message_id]):
        return message
    raise NotFound("No such message")
