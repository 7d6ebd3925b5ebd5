"""Who made an item that crossed the police side: the proofs both ends attach (DESIGN G2, G9).

The referrer and the provider share an auth key (the phrase derives it; the v2 referral
envelope carries it to the provider, sealed). Every reply, referrer message, referrer's own copy
and withdrawal carries an HMAC proof under that key (crypto.proofs). Intake stores the proofs
beside the sealed blobs but cannot make one, so a row an insider writes or changes in intake's
database fails to verify, and neither end shows or acts on it.

What each proof binds, beyond the referral id, direction and kind that crypto.proofs binds:
- a message: its id, its day and its exact sealed bytes, at its place in its author's sequence
  (1, 2, 3 ... per direction), so none can be altered, moved to another referral, re-dated or
  put out of order among its author's other messages;
- a withdrawal: its day, so it cannot be back-dated.
The order between the two directions on the same day is intake's (a residual, written down in
docs/envelope-format.md section 11): the police side can delay or withhold an item, never
forge, change, move or reorder one.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from crypto.proofs import MESSAGE, WITHDRAWAL, Direction, prove, verify_proof

# The referrer's own copy of a message they sent, sealed to their own key for their status page.
OWN_COPY: Final = "own-copy"


def _lp(part: bytes) -> bytes:
    return len(part).to_bytes(4, "big") + part


def message_statement(message_id: str, sent_on: date, sealed: bytes) -> bytes:
    """The bytes a message proof vouches for: id, day and sealed envelope, length-prefixed."""
    return _lp(message_id.encode("utf-8")) + _lp(sent_on.isoformat().encode("ascii")) + _lp(sealed)


def withdrawal_statement(withdrawn_on: date) -> bytes:
    return _lp(withdrawn_on.isoformat().encode("ascii"))


def prove_message(
    auth_key: bytes, direction: Direction, *, kind: str = MESSAGE, referral_id: str,
    sequence: int, message_id: str, sent_on: date, sealed: bytes,
) -> bytes:
    return prove(
        auth_key, referral_id=referral_id, direction=direction, kind=kind, position=sequence,
        body=message_statement(message_id, sent_on, sealed),
    )


def message_is_genuine(
    auth_key: bytes, direction: Direction, proof: bytes | None, sequence: int | None, *,
    kind: str = MESSAGE, referral_id: str, message_id: str, sent_on: date, sealed: bytes | None,
) -> bool:
    """False for anything missing or malformed: an item without a proof is not shown."""
    if proof is None or sealed is None or type(sequence) is not int or sequence < 1:
        return False
    return verify_proof(
        auth_key, proof, referral_id=referral_id, direction=direction, kind=kind,
        position=sequence, body=message_statement(message_id, sent_on, sealed),
    )


def prove_withdrawal(auth_key: bytes, *, referral_id: str, withdrawn_on: date) -> bytes:
    return prove(
        auth_key, referral_id=referral_id, direction="referrer", kind=WITHDRAWAL, position=0,
        body=withdrawal_statement(withdrawn_on),
    )


def withdrawal_is_genuine(
    auth_key: bytes, proof: bytes | None, *, referral_id: str, withdrawn_on: date
) -> bool:
    if proof is None:
        return False
    return verify_proof(
        auth_key, proof, referral_id=referral_id, direction="referrer", kind=WITHDRAWAL,
        position=0, body=withdrawal_statement(withdrawn_on),
    )
