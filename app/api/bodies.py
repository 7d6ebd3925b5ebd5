"""Reading what the console sends: JSON bodies, paging arguments, days and base64.

Strict on purpose: unknown fields, datetimes and non-canonical values are refused (422), so
a console bug shows up at once instead of being half-understood. Nothing here logs a value.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import request

from app.api.errors import ApiError
from app.intake.incoming import MAX_SEALED_BYTES
from app.intake.outgoing import MAX_BATCH
from crypto.proofs import PROOF_SIZE

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# Ids are random_id() values (22 URL-safe characters); console reply ids are 16 to 32.
ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
CURSOR = ID  # the same characters: a cursor is an id, or a key that ends in one
REPLY_ID = re.compile(r"[A-Za-z0-9_-]{16,32}")
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
MAX_SEALED_TEXT = 4 * -(-MAX_SEALED_BYTES // 3)  # base64 length of the largest blob


def paging(args: Mapping[str, str]) -> tuple[str | None, int]:
    """The `after` cursor and `limit` of a pull."""
    after = args.get("after") or None
    if after is not None and not CURSOR.fullmatch(after):
        raise ApiError(422, "after must be a cursor returned as next by an earlier page")
    raw = args.get("limit", str(DEFAULT_LIMIT))
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(422, f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return after, int(raw)


def json_object(required: set[str], optional: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The request's JSON object, with exactly the fields allowed."""
    if not request.is_json:
        raise ApiError(415)
    try:
        body = json.loads(request.get_data(cache=False))
    except (ValueError, RecursionError):
        raise ApiError(400, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(422, "The body must be a JSON object")
    unknown = sorted(set(body) - required - optional)
    if unknown:
        raise ApiError(422, f"Unknown field(s): {', '.join(unknown)}"[:200])
    missing = sorted(required - set(body))
    if missing:
        raise ApiError(422, f"Missing field(s): {', '.join(missing)}")
    return body


def day(value: object, name: str) -> date:
    """A calendar day as YYYY-MM-DD; never a time of day (G4)."""
    if not isinstance(value, str) or not DAY.fullmatch(value):
        raise ApiError(422, f"{name} must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(422, f"{name} is not a real date") from None


def text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise ApiError(422, f"{name} must be a string")
    return value


def flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ApiError(422, f"{name} must be true or false")
    return value


def sealed_blob(value: object) -> bytes:
    """Standard base64 (with padding) of an envelope, no larger than the limit."""
    if not isinstance(value, str):
        raise ApiError(422, "sealed must be a base64 string")
    if len(value) > MAX_SEALED_TEXT:
        raise ApiError(422, f"sealed must be at most {MAX_SEALED_BYTES // 1024} KiB")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "sealed is not valid base64") from None


def sequence(value: object) -> int:
    """A reply's place among the provider's replies to one referral: 1, 2, 3 ..."""
    if type(value) is not int or not 1 <= value <= 2**31 - 1:
        raise ApiError(422, "sequence must be a whole number from 1")
    return value


def proof(value: object) -> bytes:
    """A 32-byte proof of origin (app/authenticity.py), standard base64. Intake cannot check
    it (it never holds the key); the referrer's status page does."""
    if not isinstance(value, str) or len(value) > 64:
        raise ApiError(422, "proof must be the base64 of 32 bytes")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "proof must be the base64 of 32 bytes") from None
    if len(raw) != PROOF_SIZE:
        raise ApiError(422, "proof must be the base64 of 32 bytes")
    return raw


def reply_id(value: str) -> str:
    if not REPLY_ID.fullmatch(value):
        raise ApiError(422, "The reply id must be 16 to 32 characters of A-Z, a-z, 0-9, - and _")
    return value


def ids(value: object) -> list[str]:
    """The `ids` of a batch confirmation: 1 to MAX_BATCH ids, as strings."""
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_BATCH:
        raise ApiError(422, f"ids must be a list of 1 to {MAX_BATCH} ids")
    if not all(isinstance(item, str) and ID.fullmatch(item) for item in value):
        raise ApiError(422, "Each id must be 1 to 64 characters of A-Z, a-z, 0-9, - and _")
    return value
