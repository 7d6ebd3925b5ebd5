"""PEM-like text armour, so keys can be handed over as ordinary text files.

A header line `-----BEGIN SAFE REFERRAL <LABEL>-----`, the data in base64 wrapped at 64
characters, and a footer line `-----END SAFE REFERRAL <LABEL>-----`.
"""

from __future__ import annotations

import base64
import binascii
import re

from crypto.errors import CryptoError

_PREFIX = "SAFE REFERRAL "
_LABEL = re.compile(r"[A-Z0-9]+(?: [A-Z0-9]+)*")
_ARMOUR = re.compile(
    r"-----BEGIN SAFE REFERRAL (?P<label>[A-Z0-9 ]+)-----\n"
    r"(?P<body>[A-Za-z0-9+/=\n]*?)\n?"
    r"-----END SAFE REFERRAL (?P=label)-----"
)
LINE_WIDTH = 64


def check_label(label: str) -> str:
    """Labels are upper-case words so the header line cannot be confused or injected."""
    if not _LABEL.fullmatch(label) or len(label) > 40:
        raise CryptoError("an armour label is 1-40 upper-case letters, digits and single spaces")
    return label


def armour(label: str, data: bytes) -> str:
    """Return `data` as armoured text ending with a newline."""
    check_label(label)
    encoded = base64.b64encode(data).decode("ascii")
    lines = [encoded[i : i + LINE_WIDTH] for i in range(0, len(encoded), LINE_WIDTH)]
    return "\n".join(
        [f"-----BEGIN {_PREFIX}{label}-----", *lines, f"-----END {_PREFIX}{label}-----", ""]
    )


def dearmour(text: str) -> tuple[str, bytes]:
    """Parse armoured text into (label, data); surrounding whitespace and CRLF are tolerated."""
    if not isinstance(text, str) or len(text) > 1_000_000:
        raise CryptoError("not armoured Safe Referral text")
    normalised = text.replace("\r\n", "\n").strip()
    match = _ARMOUR.fullmatch(normalised)
    if match is None:
        raise CryptoError("not armoured Safe Referral text")
    try:
        data = base64.b64decode(match["body"].replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        raise CryptoError("the armoured text is damaged (bad base64)") from None
    return match["label"], data


def dearmour_label(label: str, text: str) -> bytes:
    """Parse armoured text and insist on one particular label."""
    found, data = dearmour(text)
    if found != label:
        raise CryptoError(f"expected a SAFE REFERRAL {label}, found a SAFE REFERRAL {found}")
    return data
