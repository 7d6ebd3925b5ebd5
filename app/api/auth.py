"""Bearer-token authentication and the per-token rate-limit key of the delivery API.

Flask-Limiter checks limits before the blueprint's own hooks run, so the key function
authenticates too; the answer is cached on `g` for the request. The key is a keyed hash of
the token id, never an address: Flask-Limiter logs keys when a limit is hit, and a log line
should not carry even the public half of a token.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, g, request

from app.api import tokens
from app.api.errors import ApiError
from app.models.intake import ApiToken

UNAUTHENTICATED = "unauthenticated"  # one shared bucket for requests without a valid token


def current_token() -> ApiToken | None:
    """The valid token this request carries, or None (looked up once per request)."""
    if "api_token" not in g:
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        valid = scheme.lower() == "bearer" and presented.strip()
        g.api_token = tokens.verify(presented.strip()) if valid else None
    return g.api_token


def require_token() -> str:
    """The recipient id of the request's token; 401 without a valid one."""
    token = current_token()
    if token is None:
        raise ApiError(401, "A valid bearer token is required (Authorization: Bearer sr1....).")
    return token.recipient_id


def rate_limit_key() -> str:
    token = current_token()
    if token is None:
        return UNAUTHENTICATED
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"api-token:" + token.id.encode(), hashlib.sha256).hexdigest()[:32]


def rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", "600 per minute")
