"""The console's second factor: app.two_factor with the console's own issuer and key label.

The generic parts (codes, replay window, QR code) live in app.two_factor, shared with the
standards surface; only what makes a secret the console's stays here. The sealing label is
unchanged, so secrets sealed before the move still open.
"""

from __future__ import annotations

import time  # noqa: F401 - tests freeze `totp.time.time`, which app.two_factor reads

from app import two_factor
from app.two_factor import (  # noqa: F401 - the console's names for the shared pieces
    DIGITS,
    STEP_SECONDS,
    current_step,
    matching_step,
    new_secret,
    qr_svg,
    spaced,
)

ISSUER = "Safe Referral console"
# A fixed context keeps this key apart from every other use of SECRET_KEY (cookies, limits).
_KEY_INFO = b"safe-referral/v1/console-totp-secret"


def seal_secret(secret: str, app_secret: str, advisor_id: str) -> bytes:
    return two_factor.seal_secret(secret, app_secret, advisor_id, _KEY_INFO)


def open_secret(sealed: bytes, app_secret: str, advisor_id: str) -> str:
    """The secret; raises DecryptionError if it was sealed for someone else or altered."""
    return two_factor.open_secret(sealed, app_secret, advisor_id, _KEY_INFO)


def provisioning_uri(secret: str, account: str) -> str:
    return two_factor.provisioning_uri(secret, account, ISSUER)
