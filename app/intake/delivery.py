"""What the delivery API does to referrals and messages at intake (DESIGN section 1, G4, G9).

Intake only moves sealed blobs and content-free dates: it never opens anything. Every
operation is scoped to one recipient, and a record of another recipient is reported exactly
like one that does not exist. Every write is idempotent, so a sync that breaks half way can
simply be repeated: nothing is lost and nothing is duplicated (G9).

Pulls page by id. Delivered items drop out of the pending lists, so a sync that starts
without a cursor and follows `next` until it is None has seen everything pending.

Withdrawals: `referrals.withdraw` keeps a content-free row with status "withdrawn" and the
withdrawal date in `closed_on`. On such a row `delivered_on` means "the provider still holds
a copy it must delete": a withdrawal is pending while it is set, and acknowledging it clears
it. A referral withdrawn before delivery was never seen by the provider, so there is nothing
to tell; if the provider confirms delivery after the withdrawal, the notice becomes pending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select

from app.extensions import intake_db as db
from app.models.intake import Message, Referral
from crypto.envelope import recipient_key_id
from crypto.errors import CryptoError
from crypto.keys import PublicKey

MAX_SEALED_BYTES = 80 * 1024  # the largest padded message (64 KiB) plus envelope overhead
CLOSURE_REASONS = (
    "support_completed",
    "no_contact_possible",
    "declined",
    "referred_on",
    "withdrawn",
    "other",
)
# Each workflow event sets one date column; all but "closed" mean an advisor has the case.
EVENT_COLUMNS = {
    "acknowledged": "acknowledged_on",
    "first_contact_attempted": "first_contact_on",
    "contact_made": "contact_made_on",
    "closed": "closed_on",
}
# Status only moves forward; a corrected earlier date never reopens a closed case.
STATUS_ORDER = ("received", "delivered", "with_advisor", "closed")
FINISHED = ("closed", "withdrawn")

Item = TypeVar("Item")


class DeliveryError(Exception):
    """A request the API must refuse; the message is safe to show the console."""


class NotFound(DeliveryError):
    """No such record for this recipient (whether or not another recipient has one)."""


class Conflict(DeliveryError):
    """The record exists but is in a state that forbids the change."""


class Invalid(DeliveryError):
    """The request is well-formed but its values are not acceptable."""


@dataclass(frozen=True)
class Page(Generic[Item]):
    items: list[Item]
    next: str | None  # the last id of this page when more follow


def _page(query: Select, id_column: object, after: str | None, limit: int) -> Page:
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


def _referral(recipient_id: str, referral_id: str) -> Referral:
    referral = db.session.get(Referral, referral_id)
    if referral is None or referral.recipient_id != recipient_id:
        raise NotFound("No such referral")
    return referral


def confirm_referral(recipient_id: str, referral_id: str) -> Referral:
    """The provider stored the referral: intake deletes its sealed copy (G4)."""
    referral = _referral(recipient_id, referral_id)
    referral.sealed = None
    # Kept on a repeat, so a retried confirmation gets the same answer.
    referral.delivered_on = referral.delivered_on or date.today()
    if referral.status == "received":
        referral.status = "delivered"
    db.session.commit()
    return referral


def pending_withdrawals(recipient_id: str, after: str | None, limit: int) -> Page[Referral]:
    """Withdrawn referrals the provider holds and has not yet been told about."""
    query = select(Referral).where(
        Referral.recipient_id == recipient_id,
        Referral.status == "withdrawn",
        Referral.delivered_on.is_not(None),
    )
    return _page(query, Referral.id, after, limit)


def acknowledge_withdrawal(recipient_id: str, referral_id: str) -> Referral:
    """The provider has deleted its copy: the withdrawal is no longer pending."""
    referral = _referral(recipient_id, referral_id)
    if referral.status != "withdrawn":
        raise Conflict("This referral has not been withdrawn")
    referral.delivered_on = None
    db.session.commit()
    return referral


def pending_messages(recipient_id: str, after: str | None, limit: int) -> Page[Message]:
    """Referrers' messages not yet confirmed, once the provider holds their referral."""
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
    return _page(query, Message.id, after, limit)


def _referrer_message(recipient_id: str, message_id: str) -> Message:
    message = db.session.get(Message, message_id)
    if (
        message is None
        or message.author != "referrer"
        or message.referral.recipient_id != recipient_id
    ):
        raise NotFound("No such message")
    return message


def confirm_message(recipient_id: str, message_id: str) -> Message:
    """The provider stored the message: delete its copy (the referrer keeps their own)."""
    message = _referrer_message(recipient_id, message_id)
    message.sealed_for_provider = None
    message.delivered_on = message.delivered_on or date.today()
    db.session.commit()
    return message


def _check_day(referral: Referral, day: date, name: str) -> None:
    if day > date.today():
        raise Invalid(f"{name} cannot be in the future")
    if day < referral.received_on:
        raise Invalid(f"{name} cannot be before the referral was received")


def _check_sealed_to_referrer(referral: Referral, sealed: bytes) -> None:
    """Intake cannot read a reply, but it can refuse one the referrer could not open."""
    if len(sealed) > MAX_SEALED_BYTES:
        raise Invalid(f"sealed must be at most {MAX_SEALED_BYTES // 1024} KiB")
    try:
        key_id = recipient_key_id(sealed)
    except CryptoError:
        raise Invalid("sealed is not a Safe Referral envelope (version 1)") from None
    expected = PublicKey.from_bytes(referral.referrer_public_key or b"").key_id
    if key_id != expected:
        raise Invalid("sealed is not sealed to this referral's referrer key")


def store_reply(
    recipient_id: str, referral_id: str, reply_id: str, sealed: bytes, sent_on: date
) -> tuple[Message, bool]:
    """Store an advisor's reply under the console's id; True when it is new."""
    referral = _referral(recipient_id, referral_id)
    existing = db.session.get(Message, reply_id)
    if existing is not None:
        same = (
            existing.referral_id == referral.id
            and existing.author == "advisor"
            and existing.sealed_for_referrer == sealed
            and existing.sent_on == sent_on
        )
        if not same:
            raise Conflict("A different message already has this id")
        return existing, False
    if referral.status in FINISHED or referral.referrer_public_key is None:
        raise Conflict(f"This referral is {referral.status}; it takes no more replies")
    _check_sealed_to_referrer(referral, sealed)
    _check_day(referral, sent_on, "sent_on")
    position = db.session.scalar(
        select(func.coalesce(func.max(Message.position), 0)).where(
            Message.referral_id == referral.id
        )
    )
    message = Message(
        id=reply_id,
        referral_id=referral.id,
        position=position + 1,
        author="advisor",
        sent_on=sent_on,
        sealed_for_referrer=sealed,
    )
    db.session.add(message)
    db.session.commit()
    return message, True


def record_event(
    recipient_id: str,
    referral_id: str,
    event: str,
    on: date,
    reason: str | None,
    urgent: bool | None = None,
) -> Referral:
    """Set one workflow date; a repeat or a corrected date simply overwrites (last write wins).

    `urgent` comes with "acknowledged" once an advisor has read the referral's urgency flags
    (intake cannot): it sets the first-contact target the standards KPI measures against.
    """
    if event not in EVENT_COLUMNS:
        raise NotFound("No such event")
    referral = _referral(recipient_id, referral_id)
    if referral.status == "withdrawn":
        raise Conflict("The referrer has withdrawn this referral")
    if (reason is not None) != (event == "closed"):
        raise Invalid("reason is required for closed, and only for closed")
    if reason is not None and reason not in CLOSURE_REASONS:
        raise Invalid(f"reason must be one of {', '.join(CLOSURE_REASONS)}")
    if urgent is not None and event != "acknowledged":
        raise Invalid("urgent goes only with acknowledged")
    _check_day(referral, on, "on")
    setattr(referral, EVENT_COLUMNS[event], on)
    if urgent is not None:
        referral.urgent = urgent
    if event == "closed":
        referral.closure_reason = reason
    target = "closed" if event == "closed" else "with_advisor"
    if STATUS_ORDER.index(target) > STATUS_ORDER.index(referral.status):
        referral.status = target
    db.session.commit()
    return referral
