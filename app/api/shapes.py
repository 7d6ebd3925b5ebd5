"""The JSON shapes the API answers with (docs/openapi.yaml describes each one)."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from app.models.intake import Message, Referral
from app.workflow import EVENTS


def _b64(blob: bytes | None) -> str | None:
    return base64.b64encode(blob).decode("ascii") if blob is not None else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def referral_item(referral: Referral) -> dict[str, Any]:
    return {
        "id": referral.id,
        "service": referral.service,
        "received_on": _day(referral.received_on),
        # The referrer's reply key travels inside the sealed envelope (v2), never beside it.
        "sealed": _b64(referral.sealed),
    }


def withdrawal_item(referral: Referral) -> dict[str, Any]:
    return {
        "id": referral.id,
        "withdrawn_on": _day(referral.closed_on),
        # The phrase holder's proof over that day: the console acts on nothing else (G9).
        "proof": _b64(referral.withdrawal_proof),
    }


def withdrawal_receipt(referral: Referral) -> dict[str, Any]:
    return {"id": referral.id, "withdrawn_on": _day(referral.closed_on)}


def message_item(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "referral_id": message.referral_id,
        # Orders same-day messages: sent_on is only a day (G4) and ids are random.
        "position": message.position,
        "sent_on": _day(message.sent_on),
        "sealed": _b64(message.sealed_for_provider),
        # The referrer's proof of origin, at its place in their own sequence (G2).
        "sequence": message.sequence,
        "proof": _b64(message.proof),
    }


def delivery_receipt(referral: Referral) -> dict[str, Any]:
    return {
        "id": referral.id,
        "status": referral.status,
        "delivered_on": _day(referral.delivered_on),
    }


def message_receipt(message: Message) -> dict[str, Any]:
    return {"id": message.id, "delivered_on": _day(message.delivered_on)}


def reply_receipt(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "referral_id": message.referral_id,
        "position": message.position,
        "sent_on": _day(message.sent_on),
    }


def workflow(referral: Referral) -> dict[str, Any]:
    """The content-free state of a referral: status, dates and closure reason."""
    return {
        "id": referral.id,
        "status": referral.status,
        "received_on": _day(referral.received_on),
        "delivered_on": _day(referral.delivered_on),
        **{event.column: _day(getattr(referral, event.column)) for event in EVENTS.values()},
        "closure_reason": referral.closure_reason,
    }
