"""The provider's signed key set at intake: read it (the console's check), or roll it forward.

GET answers exactly the bytes intake verifies before every seal, so the console can compare
them with its own at each sync (DESIGN G2). PUT takes a newer set; that is safe from any
channel because intake verifies it against the pinned signing key and refuses a rollback.
"""

from __future__ import annotations

import base64
import binascii

from flask import Response, g, jsonify

from app.api import bodies
from app.api.blueprint import bp
from app.api.errors import ApiError
from app.intake import recipients

# 16 keys of 1216 bytes, the verify key and the signature: well under this.
MAX_KEY_SET_TEXT = 48 * 1024


def _answer(blob: bytes | None) -> Response:
    return jsonify(key_set=base64.b64encode(blob).decode("ascii") if blob else None)


@bp.get("/key-set")
def get_key_set() -> Response:
    return _answer(recipients.key_set_of(g.recipient_id))


@bp.put("/key-set")
def put_key_set() -> Response:
    value = bodies.json_object({"key_set"})["key_set"]
    if not isinstance(value, str) or len(value) > MAX_KEY_SET_TEXT:
        raise ApiError(422, "key_set must be a base64 string of at most 48 KiB")
    try:
        blob = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "key_set is not valid base64") from None
    name = recipients.name_of(g.recipient_id)
    if name is None:
        raise ApiError(404)
    try:
        recipients.take_key_set(name, blob)
    except recipients.RecipientError as error:
        response = jsonify(error="key_set_refused", message=str(error)[:200])
        response.status_code = 422
        return response
    return _answer(recipients.key_set_of(g.recipient_id))
