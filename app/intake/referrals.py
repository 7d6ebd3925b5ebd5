"""Submitting a referral, and what the referrer can do later with their reference phrase.

Everything the person wrote is sealed before it reaches the database session (G1); the row
holds only DESIGN G4's clear metadata. A submission either commits whole or not at all (G9).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import intake_db as db
from app.intake import recipients
from app.models.base import random_id
from app.models.intake import Message, Referral
from app.questionnaire import journey
from crypto.envelope import open_record, seal_record
from crypto.errors import DecryptionError
from crypto.keyfile import Argon2Params
from crypto.keys import PrivateKey, PublicKey
from crypto.phrase import derive_referrer_secrets, new_phrase

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
    sealed = seal_record("referral", referral_id, journey.sealed_fields(answers), route.key)
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


def find(phrase: str, pepper: bytes, params: Argon2Params) -> tuple[Referral, PrivateKey] | None:
    """The referral a phrase belongs to, and the referrer's key that opens its replies."""
    secrets = derive_referrer_secrets(phrase, pepper, params)
    referral = db.session.scalar(select(Referral).where(Referral.lookup_id == secrets.lookup_id))
    return (referral, secrets.private_key) if referral else None


def status_words(referral: Referral) -> str:
    return STATUS_WORDS[referral.status]


def messages(referral: Referral, referrer_key: PrivateKey) -> list[ShownMessage]:
    shown = []
    for message in referral.messages:
        if message.sealed_for_referrer is None:
            continue
        try:
            fields = open_record("message", message.id, message.sealed_for_referrer, referrer_key)
        except DecryptionError:
            log.warning("a message could not be opened with the referrer's key")
            continue
        shown.append(ShownMessage(message.author, message.sent_on, fields["body"]))
    return shown


def send_message(referral: Referral, body: str) -> None:
    """Seal the referrer's message to the provider, and a copy to the referrer's own key."""
    # The provider the referral went to, even if the service has been routed elsewhere since.
    provider_key = recipients.newest_key(referral.recipient_id)
    if provider_key is None or referral.status in ("closed", "withdrawn"):
        raise NoRecipient(referral.service)
    message_id = random_id()
    position = db.session.execute(
        select(func.coalesce(func.max(Message.position), 0)).where(
            Message.referral_id == referral.id
        )
    ).scalar_one()
    referrer_key = PublicKey.from_bytes(referral.referrer_public_key or b"")
    db.session.add(
        Message(
            id=message_id,
            referral_id=referral.id,
            position=position + 1,
            author="referrer",
            sealed_for_provider=seal_record("message", message_id, {"body": body}, provider_key),
            sealed_for_referrer=seal_record("message", message_id, {"body": body}, referrer_key),
        )
    )
    try:
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        raise NotStored from error


def withdraw(referral: Referral) -> None:
    """Delete everything the person wrote; keep only a content-free row.

    The row (service, dates, status 'withdrawn') stays so the provider is told at its next
    sync and the counts stay right; no sealed content, messages or phrase lookup remain.
    `closed_on` is the withdrawal date the delivery API reports (app/intake/outgoing.py).
    """
    referral.sealed = None
    referral.lookup_id = None
    referral.referrer_public_key = None
    referral.status = "withdrawn"
    referral.closed_on = date.today()
    # A code, like the provider's closure reasons, so outcome tables can count it.
    referral.closure_reason = "withdrawn_by_referrer"
    referral.messages.clear()
    db.session.commit()
