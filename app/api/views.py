"""Delivery API routes. Thin: bodies reads the request, handover and delivery do the work,
shapes answers."""

from __future__ import annotations

from pathlib import Path

from flask import Response, g, jsonify, request

from app.api import bodies, shapes
from app.api.blueprint import bp
from app.intake import incoming, outgoing
from app.workflow import EVENTS

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


@bp.get("/openapi.yaml")
def openapi_document() -> Response:
    """The API's own description; public, since it holds no data."""
    return Response(OPENAPI.read_text(encoding="utf-8"), mimetype="application/yaml")


def _batch() -> list[str]:
    return bodies.ids(bodies.json_object({"ids"})["ids"])


@bp.get("/referrals")
def pending_referrals() -> Response:
    page = outgoing.pending_referrals(g.recipient_id, *bodies.paging(request.args))
    return jsonify(items=[shapes.referral_item(r) for r in page.items], next=page.next)


@bp.post("/referrals/<referral_id>/delivered")
def referral_delivered(referral_id: str) -> Response:
    return jsonify(shapes.delivery_receipt(outgoing.confirm_referral(g.recipient_id, referral_id)))


@bp.post("/referrals/delivered")
def referrals_delivered() -> Response:
    referrals = outgoing.confirm_referrals(g.recipient_id, _batch())
    return jsonify(items=[shapes.delivery_receipt(r) for r in referrals])


@bp.get("/withdrawals")
def pending_withdrawals() -> Response:
    page = outgoing.pending_withdrawals(g.recipient_id, *bodies.paging(request.args))
    return jsonify(items=[shapes.withdrawal_item(r) for r in page.items], next=page.next)


@bp.post("/withdrawals/<referral_id>/acknowledged")
def withdrawal_acknowledged(referral_id: str) -> Response:
    referral = outgoing.acknowledge_withdrawal(g.recipient_id, referral_id)
    return jsonify(shapes.withdrawal_receipt(referral))


@bp.post("/withdrawals/acknowledged")
def withdrawals_acknowledged() -> Response:
    referrals = outgoing.acknowledge_withdrawals(g.recipient_id, _batch())
    return jsonify(items=[shapes.withdrawal_receipt(r) for r in referrals])


@bp.get("/messages")
def pending_messages() -> Response:
    page = outgoing.pending_messages(g.recipient_id, *bodies.paging(request.args))
    return jsonify(items=[shapes.message_item(m) for m in page.items], next=page.next)


@bp.post("/messages/<message_id>/delivered")
def message_delivered(message_id: str) -> Response:
    return jsonify(shapes.message_receipt(outgoing.confirm_message(g.recipient_id, message_id)))


@bp.post("/messages/delivered")
def messages_delivered() -> Response:
    messages = outgoing.confirm_messages(g.recipient_id, _batch())
    return jsonify(items=[shapes.message_receipt(m) for m in messages])


@bp.put("/referrals/<referral_id>/replies/<reply_id>")
def put_reply(referral_id: str, reply_id: str) -> tuple[Response, int]:
    bodies.reply_id(reply_id)
    body = bodies.json_object({"sealed", "sent_on", "sequence", "proof"})
    reply = incoming.Reply(
        id=reply_id,
        sealed=bodies.sealed_blob(body["sealed"]),
        sent_on=bodies.day(body["sent_on"], "sent_on"),
        sequence=bodies.sequence(body["sequence"]),
        proof=bodies.proof(body["proof"]),
    )
    message, created = incoming.store_reply(g.recipient_id, referral_id, reply)
    return jsonify(shapes.reply_receipt(message)), 201 if created else 200


@bp.put("/referrals/<referral_id>/events/<event>")
def put_event(referral_id: str, event: str) -> Response:
    if event not in EVENTS:
        raise incoming.NotFound("No such event")
    body = bodies.json_object({"on"}, frozenset({"reason", "urgent"}))
    on = bodies.day(body["on"], "on")
    reason = bodies.text(body["reason"], "reason") if "reason" in body else None
    urgent = bodies.flag(body["urgent"], "urgent") if "urgent" in body else None
    referral = incoming.record_event(g.recipient_id, referral_id, event, on, reason, urgent)
    return jsonify(shapes.workflow(referral))
