"""/audit-heads: the console anchors its audit chain's head at intake after each sync, and
reads the copies back to check its log (DESIGN G8; app/intake/audit_heads.py does the work).
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request

from app.api import bodies
from app.api.blueprint import bp
from app.api.errors import ApiError
from app.intake import audit_heads
from app.models.intake import AuditHead


def _shape(head: AuditHead) -> dict[str, Any]:
    return {"seq": head.seq, "mac": head.mac}


@bp.post("/audit-heads")
def post_audit_head() -> tuple[Response, int]:
    body = bodies.json_object({"seq", "mac"})
    head, created = audit_heads.store(g.recipient_id, body["seq"], body["mac"])
    return jsonify(_shape(head)), 201 if created else 200


@bp.get("/audit-heads")
def list_audit_heads() -> Response:
    after, limit = bodies.paging(request.args)
    if after is not None and not (after.isascii() and after.isdigit() and len(after) <= 10):
        raise ApiError(422, "after must be a cursor returned as next by an earlier page")
    heads, more = audit_heads.page(g.recipient_id, int(after or 0), limit)
    return jsonify(items=[_shape(h) for h in heads], next=None if more is None else str(more))
