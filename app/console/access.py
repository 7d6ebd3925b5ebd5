"""Who may do what in the console, and the keys the signed-in advisor can use.

Deny by default: every console view is wrapped by `advisor_required` or `manager_required`.
The advisor's private key, unwrapped with their password at sign-in, lives only in the split
session (sealed under a key in their cookie). Recipient keys are opened from grants on each
request, so revoking a grant takes effect at once, even for someone signed in.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort, redirect, session, url_for
from flask_login import current_user
from sqlalchemy import select

from app.extensions import console_db as db
from app.models.console import Advisor, KeyGrant, RecipientKeyRecord, SigningKeyGrant
from crypto.custody import open_grant, open_signing_grant
from crypto.errors import DecryptionError
from crypto.keys import PrivateKey, PublicKey
from crypto.signing import SigningKey

P = ParamSpec("P")
R = TypeVar("R")
SESSION_KEY = "advisor_key"


def signed_in_advisor() -> Advisor | None:
    """The advisor who completed password + TOTP in this session, or None."""
    if not current_user.is_authenticated or SESSION_KEY not in session:
        return None
    return current_user  # type: ignore[return-value]


def advisor_key() -> PrivateKey | None:
    hex_key = session.get(SESSION_KEY)
    return PrivateKey.from_bytes(bytes.fromhex(hex_key)) if hex_key else None


def keyring() -> dict[str, PrivateKey]:
    """The recipient private keys this advisor holds a grant for, by key id."""
    advisor = signed_in_advisor()
    own_key = advisor_key()
    if advisor is None or own_key is None:
        return {}
    keys = {}
    for grant in db.session.scalars(select(KeyGrant).where(KeyGrant.advisor_id == advisor.id)):
        try:
            keys[grant.key_id] = open_grant(grant.sealed_key, own_key, advisor.id, grant.key_id)
        except DecryptionError:
            continue  # a grant that no longer opens gives no access
    return keys


def signing_key() -> SigningKey | None:
    """The provider signing key, if this advisor holds a grant of it (opened per request)."""
    advisor = signed_in_advisor()
    own_key = advisor_key()
    if advisor is None or own_key is None:
        return None
    query = select(SigningKeyGrant).where(SigningKeyGrant.advisor_id == advisor.id)
    for grant in db.session.scalars(query):
        try:
            return open_signing_grant(grant.sealed_key, own_key, advisor.id, grant.key_id)
        except DecryptionError:
            continue  # a grant that no longer opens gives no access
    return None


def newest_recipient_key() -> PublicKey:
    """New notes and copies of replies are sealed to the newest recipient key."""
    record = db.session.scalars(
        select(RecipientKeyRecord).order_by(RecipientKeyRecord.generation.desc()).limit(1)
    ).first()
    if record is None:
        abort(503)
    return PublicKey.from_bytes(record.public_key)


def _guard(check: Callable[[Advisor], bool]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            advisor = signed_in_advisor()
            if advisor is None:
                return redirect(url_for("console.sign_in"))  # type: ignore[return-value]
            if not check(advisor):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _has_grant(advisor: Advisor) -> bool:
    return bool(keyring())


advisor_required = _guard(_has_grant)
"""Signed in with password and TOTP, and holding at least one recipient key grant."""

manager_required = _guard(lambda advisor: advisor.is_manager)
"""Signed in as the manager (who may have no grant yet, e.g. before the first key)."""

signed_in_required = _guard(lambda advisor: True)
"""Signed in; for pages every account needs, like 'no access yet' and sign out."""
