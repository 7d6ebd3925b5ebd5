"""The second factor for staff sign-in: time-based one-time codes (RFC 6238).

Used by every surface that signs staff in; each passes its own issuer name and
key-derivation label (its store's), so a secret sealed for one surface never opens for
another. The shared secret is stored sealed under a key derived from the app's SECRET_KEY,
so a copy of the database alone does not let anyone compute a person's codes. Which time
steps were used already (the replay guard) is each store's `claim_step`. The setup QR code is
drawn here as inline SVG: no image service, no request to another host.
"""

from __future__ import annotations

import hmac
import re
import time

import pyotp
import segno
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from markupsafe import Markup, escape

from crypto.aead import unwrap, wrap

STEP_SECONDS = 30
DIGITS = 6
_AAD_LABEL = b"safe-referral/totp-secret\x00"
_SEPARATORS = re.compile(r"[\s-]+")


def new_secret() -> str:
    """160 random bits in base32, the length RFC 4226 recommends."""
    return pyotp.random_base32()


def _sealing_key(app_secret: str, key_info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=key_info).derive(
        app_secret.encode()
    )


def seal_secret(secret: str, app_secret: str, owner_id: str, key_info: bytes) -> bytes:
    # The owner's id in the AAD stops one person's sealed secret being copied onto another.
    key = _sealing_key(app_secret, key_info)
    return wrap(secret.encode(), key, _AAD_LABEL + owner_id.encode())


def open_secret(sealed: bytes, app_secret: str, owner_id: str, key_info: bytes) -> str:
    """The secret; raises DecryptionError if it was sealed for someone else or altered."""
    key = _sealing_key(app_secret, key_info)
    return unwrap(sealed, key, _AAD_LABEL + owner_id.encode()).decode()


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def matching_step(secret: str, code: str, after_step: int | None) -> int | None:
    """The time step (now, or one either side for clock drift) whose code this is.

    Steps at or before `after_step` never match, so a code cannot be used twice, even by
    someone watching over the person's shoulder within the same 30 seconds.
    """
    typed = _SEPARATORS.sub("", code or "")
    if not re.fullmatch(rf"[0-9]{{{DIGITS}}}", typed):
        return None
    otp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    now = current_step()
    found = None
    for step in (now - 1, now, now + 1):  # compare all three: timing says nothing about which
        if hmac.compare_digest(otp.generate_otp(step), typed) and (
            after_step is None or step > after_step
        ):
            found = step
    return found


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def spaced(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(uri: str, label: str) -> Markup:
    """The URI as an accessible inline SVG QR code (no style attribute: the CSP forbids it)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, border=4, dark="#0b0c0c", light="#ffffff", title=label, svgclass="app-qr"
    )
    if "style=" in svg:  # segno draws with attributes; refuse to emit anything the CSP blocks
        raise ValueError("QR code SVG unexpectedly carries a style attribute")
    labelled = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
    # Safe: segno's own markup plus our escaped label; nothing anyone typed is inside.
    return Markup(labelled)  # noqa: S704  # nosec B704 # segno markup, escaped label
