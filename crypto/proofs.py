"""Proofs that a message or action came from one end of a referral, not from the police side.

The referrer and the provider share a 32-byte auth key: the referrer re-derives it from the
reference phrase (`ReferrerSecrets.auth_key`), the provider reads it from inside the v2
referral envelope (`ReferrerBinding.auth_key`). Intake never stores it, so whoever can write
intake's database cannot make a proof. A proof is HMAC-SHA256 under that key over
length-prefixed, domain-separated inputs that bind the referral id, the direction (which end
made it), the kind of item, its position in that direction's sequence and its exact bytes, so
no proof can be replayed onto another referral, position, direction, kind or body.

    proof = HMAC-SHA256(auth_key, lp("safe-referral/v1/proof") || lp(referral_id)
                        || lp(direction) || lp(kind) || u64(position) || lp(body))

A shared key cannot tell the two ends apart cryptographically; the direction label only stops
a proof from being reflected back. That is enough here: the threat is a third party (the police
side), and either end forging "the other end's" item fools nobody but itself.
docs/envelope-format.md section 11 is the normative description.
"""

from __future__ import annotations

import hmac
import re
from typing import Final, Literal

from crypto._encoding import U64_MAX, lp, u64
from crypto.errors import CryptoError

__all__ = [
    "DELETION",
    "MESSAGE",
    "PROOF_SIZE",
    "WITHDRAWAL",
    "Direction",
    "prove",
    "verify_proof",
]

Direction = Literal["provider", "referrer"]
DIRECTIONS: Final = ("provider", "referrer")
# The kinds the app uses today; any other short lower-case label is accepted for new ones.
MESSAGE: Final = "message"
WITHDRAWAL: Final = "withdrawal"
DELETION: Final = "deletion"

PROOF_LABEL = b"safe-referral/v1/proof"
PROOF_SIZE = 32
AUTH_KEY_SIZE = 32
MAX_REFERRAL_ID_BYTES = 255
_KIND = re.compile(r"[a-z][a-z0-9-]{0,31}")


def proof_input(
    *, referral_id: str, direction: Direction, kind: str, position: int, body: bytes
) -> bytes:
    """The exact bytes that are MACed (exposed for the test vectors and second implementations)."""
    if not isinstance(referral_id, str):
        raise CryptoError("referral_id must be a string")
    try:
        rid = referral_id.encode("utf-8")
    except UnicodeEncodeError:
        raise CryptoError("referral_id is not valid Unicode text") from None
    if not 0 < len(rid) <= MAX_REFERRAL_ID_BYTES:
        raise CryptoError(f"referral_id must be 1 to {MAX_REFERRAL_ID_BYTES} bytes of UTF-8")
    if direction not in DIRECTIONS:
        raise CryptoError("direction is 'provider' or 'referrer'")
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise CryptoError("kind is 1-32 characters of a-z, 0-9 and '-', starting with a letter")
    # bool is an int subclass; True as a position is always a caller bug.
    if type(position) is not int or not 0 <= position <= U64_MAX:
        raise CryptoError("position is an integer from 0 to 2**64 - 1")
    if not isinstance(body, bytes):
        raise CryptoError("body must be bytes")
    return (
        lp(PROOF_LABEL)
        + lp(rid)
        + lp(direction.encode("ascii"))
        + lp(kind.encode("ascii"))
        + u64(position)
        + lp(body)
    )


def _check_key(auth_key: bytes) -> bytes:
    if not isinstance(auth_key, bytes) or len(auth_key) != AUTH_KEY_SIZE:
        raise CryptoError(f"an auth key is exactly {AUTH_KEY_SIZE} bytes")
    return auth_key


def prove(
    auth_key: bytes,
    *,
    referral_id: str,
    direction: Direction,
    kind: str,
    position: int,
    body: bytes,
) -> bytes:
    """The 32-byte proof that the holder of `auth_key` made this item.

    `direction` is the end that made it ("referrer": a message or withdrawal from the phrase
    holder; "provider": a reply or action from the provider). `position` is the item's index in
    that direction's sequence for this referral. `body` is the exact bytes being vouched for,
    normally the sealed envelope as stored (b"" for an action with no content).
    """
    message = proof_input(
        referral_id=referral_id, direction=direction, kind=kind, position=position, body=body
    )
    return hmac.digest(_check_key(auth_key), message, "sha256")


def verify_proof(
    auth_key: bytes,
    proof: bytes,
    *,
    referral_id: str,
    direction: Direction,
    kind: str,
    position: int,
    body: bytes,
) -> bool:
    """True only if `proof` is exactly the proof for these inputs (constant-time comparison).

    A malformed proof (attacker-controlled) gives False; malformed arguments from the caller
    (a wrong-sized key, an unknown direction) raise CryptoError, because that is a bug.
    """
    expected = prove(
        auth_key,
        referral_id=referral_id,
        direction=direction,
        kind=kind,
        position=position,
        body=body,
    )
    if not isinstance(proof, bytes | bytearray | memoryview):
        return False
    return hmac.compare_digest(expected, bytes(proof))
