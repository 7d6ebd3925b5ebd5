"""Delivery-API bearer tokens: `sr1.<token id>.<secret>`, one or more per recipient.

The secret is 256 random bits, so a single SHA-256 is enough to store it: a slow password
hash (Argon2) only helps against guessing low-entropy secrets, and these cannot be guessed.
The id finds the row; the secret's hash is compared in constant time. Rotation is issue a
new token, switch the console over, revoke the old one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import date

from sqlalchemy import select

from app.extensions import intake_db as db
from app.models.intake import ApiToken, Recipient

PREFIX = "sr1"
TOKEN = re.compile(r"sr1\.([A-Za-z0-9_-]{16,32})\.([A-Za-z0-9_-]{43})")
# Compared against when the id is unknown, so both paths do the same work.
_NO_HASH = "0" * 64


class TokenError(ValueError):
    """A token operation that cannot be done; the message says why."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(recipient_name: str) -> str:
    """A new token for the recipient; the only time its secret exists outside the console."""
    recipient = db.session.scalar(select(Recipient).where(Recipient.name == recipient_name))
    if recipient is None:
        raise TokenError(f"No recipient called {recipient_name!r}")
    secret = secrets.token_urlsafe(32)
    token = ApiToken(recipient_id=recipient.id, secret_hash=_hash(secret))
    db.session.add(token)
    db.session.commit()
    return f"{PREFIX}.{token.id}.{secret}"


def revoke(token_id: str) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise TokenError(f"No token with id {token_id!r}")
    token.revoked_on = token.revoked_on or date.today()
    db.session.commit()
    return token


def all_tokens() -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.created_on, ApiToken.id)))


def verify(presented: str) -> ApiToken | None:
    """The live token a presented `sr1.<id>.<secret>` string belongs to, else None."""
    match = TOKEN.fullmatch(presented)
    if match is None:
        return None
    token_id, secret = match.groups()
    token = db.session.get(ApiToken, token_id)
    good = hmac.compare_digest(token.secret_hash if token else _NO_HASH, _hash(secret))
    if token is None or not good or token.revoked_on is not None:
        return None
    return token
