"""What the console tells intake through the delivery API (DESIGN section 1, G4, G9): sealed
replies and content-free workflow dates; and the errors every delivery operation raises.

Intake only moves sealed blobs and content-free dates: it never opens anything. Every
operation is scoped to one recipient, and a record of another recipient is reported exactly
like one that does not exist. Every write is idempotent, so a sync that breaks half way can
simply be repeated: nothing is lost and nothing is duplicated (G9). What intake hands over
(the pending lists and their confirmations) is in app/intake/outgoing.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from app.extensions import intake_db as db
from app.models.intake import Message, Referral
from app.workflow import CLOSURE_REASONS, EVENTS, FINISHED, STATUS_ORDER, event_column
from crypto.envelope import recipient_key_id
from crypto.errors import CryptoError
from crypto.keys import PublicKey

MAX_SEALED_BYTES = 80 * 1024  # the largest padded message (64 KiB) plus envelope overhead


class DeliveryError(Exception):
    """A request the API must refuse; the message is safe to show the console."""


class NotFound(DeliveryError):
    """No such record for this recipient (whether or not another recipient has one)."""


class Conflict(DeliveryError):
    """The record exists but is in a state that forbids the change."""


class Invalid(DeliveryError):
    """The request is well-formed but its values are not acceptable."""


def referral_of(recipient_id: str, referral_id: str) -> Referral:
    """The recipient's referral; NotFound when it is unknown or another recipient's."""
    referral = db.session.get(Referral, referral_id)
    if referral is None or referral.recipient_id != recipient_id:
        raise NotFound("No such referral")
    return referral


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
        raise Invalid("sealed is not a Safe Referral envelope") from None
    expected = PublicKey.from_bytes(referral.referrer_public_key or b"").key_id
    if key_id != expected:
        raise Invalid("sealed is not sealed to this referral's referrer key")


@dataclass(frozen=True)
class Reply:
    """An advisor's reply as the console sends it: sealed to the referrer, with the provider's
    proof of origin at its place in the provider's sequence (app/authenticity.py)."""

    id: str
    sealed: bytes
    sent_on: date
    sequence: int
    proof: bytes


def store_reply(recipient_id: str, referral_id: str, reply: Reply) -> tuple[Message, bool]:
    """Store an advisor's reply under the console's id; True when it is new.

    Intake cannot check the proof (it never holds the key): it keeps it beside the reply, and
    the referrer's status page shows the reply only if the proof verifies (G2).
    """
    referral = referral_of(recipient_id, referral_id)
    existing = db.session.get(Message, reply.id)
    if existing is not None:
        same = (
            existing.referral_id == referral.id
            and existing.author == "advisor"
            and existing.sealed_for_referrer == reply.sealed
            and existing.sent_on == reply.sent_on
            and existing.sequence == reply.sequence
            and existing.proof == reply.proof
        )
        if not same:
            raise Conflict("A different message already has this id")
        return existing, False
    if referral.status in FINISHED or referral.referrer_public_key is None:
        raise Conflict(f"This referral is {referral.status}; it takes no more replies")
    _check_sealed_to_referrer(referral, reply.sealed)
    _check_day(referral, reply.sent_on, "sent_on")
    position = db.session.execute(
        select(func.coalesce(func.max(Message.position), 0)).where(
            Message.referral_id == referral.id
        )
    ).scalar_one()
    message = Message(
        id=reply.id,
        referral_id=referral.id,
        position=position + 1,
        author="advisor",
        sent_on=reply.sent_on,
        sealed_for_referrer=reply.sealed,
        sequence=reply.sequence,
        proof=reply.proof,
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
    if event not in EVENTS:
        raise NotFound("No such event")
    referral = referral_of(recipient_id, referral_id)
    if referral.status == "withdrawn":
        raise Conflict("The referrer has withdrawn this referral")
    if (reason is not None) != (event == "closed"):
        raise Invalid("reason is required for closed, and only for closed")
    if reason is not None and reason not in CLOSURE_REASONS:
        raise Invalid(f"reason must be one of {', '.join(CLOSURE_REASONS)}")
    if urgent is not None and event != "acknowledged":
        raise Invalid("urgent goes only with acknowledged")
    _check_day(referral, on, "on")
    setattr(referral, event_column(event), on)
    if urgent is not None:
        referral.urgent = urgent
    if event == "closed":
        referral.closure_reason = reason
    target = "closed" if event == "closed" else "with_advisor"
    if STATUS_ORDER.index(target) > STATUS_ORDER.index(referral.status):
        referral.status = target
    db.session.commit()
    return referral
