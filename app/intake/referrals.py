"""Submitting a referral, and what the referrer can do later with their reference phrase.

Everything the person wrote is sealed before it reaches the database session (G1); the row
holds only DESIGN G4's clear metadata. A submission either commits whole or not at all (G9).
"""

from __future__ import annotations

import heapq
import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.authenticity import OWN_COPY, message_is_genuine, prove_message, prove_withdrawal
from app.extensions import intake_db as db
from app.intake import recipients
from app.models.base import random_id
from app.models.intake import Message, Referral
from app.questionnaire import journey
from crypto.envelope import open_record, seal_record
from crypto.errors import DecryptionError
from crypto.keyfile import Argon2Params
from crypto.keys import PrivateKey
from crypto.phrase import derive_referrer_secrets, new_phrase
from crypto.proofs import MESSAGE, Direction

log = logging.getLogger(__name__)

# What the referrer is told; the provider's workflow dates decide it.
STATUS_WORDS = {
    "received": "Received",
    "delivered": "Received",
    "with_advisor": "With an advisor",
    "closed": "Closed",
    "withdrawn": "Deleted",
}


class NoRecipient(Exception):
    """Nobody can receive referrals for this service at the moment."""


class NotStored(Exception):
    """The database refused the referral; nothing was stored."""


@dataclass(frozen=True)
class Sent:
    referral_id: str
    phrase: str


@dataclass(frozen=True)
class Referrer:
    """What the phrase unlocks, kept only in the referrer's session (never in a row)."""

    key: PrivateKey = field(repr=False)
    auth_key: bytes = field(repr=False)

    def to_session(self) -> dict[str, str]:
        return {"key": self.key.to_bytes().hex(), "auth": self.auth_key.hex()}

    @classmethod
    def from_session(cls, stored: dict[str, str]) -> Referrer:
        return cls(PrivateKey.from_bytes(bytes.fromhex(stored["key"])),
                   bytes.fromhex(stored["auth"]))


@dataclass(frozen=True)
class ShownMessage:
    author: str
    sent_on: date
    body: str


def submit(answers: journey.Answers, pepper: bytes, params: Argon2Params) -> Sent:
    route = recipients.route_for(answers.get("service", ""))
    if route is None:
        raise NoRecipient(answers.get("service", ""))
    phrase = new_phrase()
    secrets = derive_referrer_secrets(phrase, pepper, params)
    referral_id = random_id()
    # v2: the referrer's reply key and auth key travel sealed inside the envelope, so the
    # console never takes them from a column the police side can write (G2).
    sealed = seal_record(
        "referral", referral_id, journey.sealed_fields(answers), route.key,
        referrer=secrets.binding,
    )
    referral = Referral(
        id=referral_id,
        service=answers["service"],
        recipient_id=route.recipient_id,
        sealed=sealed,
        lookup_id=secrets.lookup_id,
        referrer_public_key=secrets.private_key.public_key.to_bytes(),
    )
    try:
        db.session.add(referral)
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        log.error("referral not stored: %s", type(error).__name__)
        raise NotStored from error
    return Sent(referral_id, phrase)


def find(phrase: str, pepper: bytes, params: Argon2Params) -> tuple[Referral, Referrer] | None:
    """The referral a phrase belongs to, and what the phrase unlocks for it."""
    secrets = derive_referrer_secrets(phrase, pepper, params)
    referral = db.session.scalar(select(Referral).where(Referral.lookup_id == secrets.lookup_id))
    return (referral, Referrer(secrets.private_key, secrets.auth_key)) if referral else None


def status_words(referral: Referral) -> str:
    return STATUS_WORDS[referral.status]


def _genuine(message: Message, referrer: Referrer) -> bool:
    """A reply the provider made, or a copy the referrer made: anything else is not shown."""
    if message.author == "advisor":
        direction: Direction = "provider"
        kind, proof = MESSAGE, message.proof
    elif message.author == "referrer":
        direction, kind, proof = "referrer", OWN_COPY, message.copy_proof
    else:
        return False
    return message_is_genuine(
        referrer.auth_key, direction, proof, message.sequence, kind=kind,
        referral_id=message.referral_id, message_id=message.id, sent_on=message.sent_on,
        sealed=message.sealed_for_referrer,
    )


def _thread_place(message: Message) -> tuple[date, int, str]:
    return (message.sent_on, message.position, message.id)


def _own_place(message: Message) -> tuple[date, int, str]:
    return (message.sent_on, message.sequence or 0, message.id)


def messages(referral: Referral, referrer: Referrer) -> list[ShownMessage]:
    """The thread as the referrer sees it: only items that prove their author (G2).

    Each side's messages keep the order their proofs give; the two sides are interleaved in
    intake's stored order, which is all the police side can still affect.
    """
    genuine: dict[str, list[Message]] = {"advisor": [], "referrer": []}
    dropped = 0
    for message in referral.messages:
        if _genuine(message, referrer):
            genuine[message.author].append(message)
        else:
            dropped += 1
    if dropped:
        # A count only: which referral or message would tie the log to a person (G1, G4).
        log.warning("status page: %d message(s) failed their proof and were not shown", dropped)
    sides = [sorted(side, key=_own_place) for side in genuine.values()]
    shown = []
    for message in heapq.merge(*sides, key=_thread_place):
        try:
            fields = open_record(
                "message", message.id, message.sealed_for_referrer or b"", referrer.key
            )
        except DecryptionError:
            log.warning("a message could not be opened with the referrer's key")
            continue
        shown.append(ShownMessage(message.author, message.sent_on, fields["body"]))
    return shown


def _next(referral: Referral, column: Any, *where: Any) -> int:
    query = select(func.coalesce(func.max(column), 0)).where(
        Message.referral_id == referral.id, *where
    )
    return int(db.session.execute(query).scalar_one()) + 1


def send_message(referral: Referral, referrer: Referrer, body: str) -> None:
    """Seal the referrer's message to the provider and a copy to their own key, with proofs."""
    # The provider the referral went to, even if the service has been routed elsewhere since.
    provider_key = recipients.newest_key(referral.recipient_id)
    if provider_key is None or referral.status in ("closed", "withdrawn"):
        raise NoRecipient(referral.service)
    message_id, today = random_id(), date.today()
    sequence = _next(referral, Message.sequence, Message.author == "referrer")
    for_provider = seal_record("message", message_id, {"body": body}, provider_key)
    # Sealed to the key the phrase gives, never to the clear column an insider could swap.
    own_copy = seal_record("message", message_id, {"body": body}, referrer.key.public_key)

    def proof(kind: str, sealed: bytes) -> bytes:
        return prove_message(
            referrer.auth_key, "referrer", kind=kind, referral_id=referral.id,
            sequence=sequence, message_id=message_id, sent_on=today, sealed=sealed,
        )

    db.session.add(
        Message(
            id=message_id,
            referral_id=referral.id,
            position=_next(referral, Message.position),
            author="referrer",
            sent_on=today,
            sequence=sequence,
            sealed_for_provider=for_provider,
            sealed_for_referrer=own_copy,
            proof=proof(MESSAGE, for_provider),
            copy_proof=proof(OWN_COPY, own_copy),
        )
    )
    try:
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        raise NotStored from error


def withdraw(referral: Referral, referrer: Referrer) -> None:
    """Delete everything the person wrote; keep only a content-free row and the proof.

    The row (service, dates, status 'withdrawn') stays so the provider is told at its next
    sync and the counts stay right; no sealed content, messages or phrase lookup remain.
    `closed_on` is the withdrawal date the delivery API reports (app/intake/outgoing.py), and
    the proof binds it, so the provider acts on this withdrawal and on no forged one (G9).
    """
    today = date.today()
    referral.withdrawal_proof = prove_withdrawal(
        referrer.auth_key, referral_id=referral.id, withdrawn_on=today
    )
    referral.sealed = None
    referral.lookup_id = None
    referral.referrer_public_key = None
    referral.status = "withdrawn"
    referral.closed_on = today
    # A code, like the provider's closure reasons, so outcome tables can count it.
    referral.closure_reason = "withdrawn_by_referrer"
    referral.messages.clear()
    db.session.commit()
