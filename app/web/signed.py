"""itsdangerous's URL-safe serializers, kept per app and without a zlib attempt per token.

Every signed value a page hands out (the CSRF token, the cookie-only session, a proof-of-work
challenge) went through a URL-safe serializer built afresh for it. They are built once per app
and key here. The URL-safe dump_payload also zlib-compresses every payload, keeping the result
only if shorter; setting zlib up costs more than the signature, and a CSRF secret or a
cookie-only session (random values) never comes out shorter, so the Plain serializer writes
those as itsdangerous does when it does not compress. itsdangerous reads what it writes, and
it still reads a compressed payload (tests/web/test_signed.py checks both against the
library's own serializers). A proof-of-work challenge does compress: it keeps the library's.
"""

from __future__ import annotations

import secrets
from typing import Any, TypeVar

from flask import current_app, g, session
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.serializer import Serializer

KEPT = "signed_serializers"  # app.extensions: (kind, key, salt) -> serializer
CSRF_SALT = "wtf-csrf-token"  # Flask-WTF's, so its validate_csrf reads our tokens


class PlainURLSafeTimedSerializer(URLSafeTimedSerializer):
    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))


S = TypeVar("S", bound=Serializer[str])


def serializer(kind: type[S], salt: str, key: str | bytes | None = None) -> S:
    """The app's serializer of `kind` for `salt`, under `key` (default SECRET_KEY)."""
    key = key if key is not None else current_app.config["SECRET_KEY"]
    kept: dict[tuple[type[Any], str | bytes, str], Any]
    kept = current_app.extensions.setdefault(KEPT, {})
    found = kept.get((kind, key, salt))
    if found is None:
        found = kept[kind, key, salt] = kind(key, salt=salt)
    return found  # type: ignore[no-any-return]


def csrf_token() -> str:
    """Flask-WTF's generate_csrf(), with a kept serializer: the same secret in the session,
    the same token in `g` for the rest of the request, so Flask-WTF's forms and its
    validate_csrf see exactly what they would have made themselves."""
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token: str | None = g.get(field)
    if token is None:
        key = config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key)
        signer = serializer(PlainURLSafeTimedSerializer, CSRF_SALT, key)
        if field not in session:
            session[field] = _new_secret()
        try:
            token = signer.dumps(session[field])
        except TypeError:  # as Flask-WTF: a secret it cannot sign is renewed
            session[field] = _new_secret()
            token = signer.dumps(session[field])
        setattr(g, field, token)
    return token


def _new_secret() -> str:
    # The same shape as Flask-WTF's secret (40 hex characters, 160 random bits), drawn
    # straight from the system's generator rather than through its SHA-1 of random bytes.
    return secrets.token_hex(20)
