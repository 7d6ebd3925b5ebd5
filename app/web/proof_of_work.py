"""A cost the client pays for the expensive steps (phrase lookup, final submit), as GlobaLeaks does.

The server hands out a signed, expiring challenge and keeps no row for it. With JavaScript
on, assets/js/proof-of-work.mjs finds a counter whose SHA-256 with the challenge starts with
PROOF_OF_WORK_BITS zero bits (about a second on a phone) and fills a hidden field. With
JavaScript off the cost is time instead: the challenge is good without a proof once
PROOF_OF_WORK_WAIT_SECONDS have passed since it was issued, which a person typing their
phrase or reading their answers has usually spent anyway; a faster client gets a plain wait
page with a Continue button. Either way a challenge is bound to its session and purpose and
is spent once (a mark in the rate-limit store, no address, expiring on the hour).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.web import fair_use, signed

FIELD = "proof_challenge"
PROOF_FIELD = "proof"


@dataclass(frozen=True)
class Challenge:
    token: str
    bits: int
    ready_at: float  # when it is good without a proof (JavaScript off)


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    challenge: Challenge  # the one to render next (the same while waiting; new if invalid)

    @property
    def wait_seconds(self) -> int:
        return max(int(self.challenge.ready_at - fair_use.now() + 0.999), 0)


def _serializer() -> URLSafeSerializer:
    return signed.serializer(URLSafeSerializer, "proof-of-work v1")  # it compresses: kept as is


def issue(purpose: str) -> Challenge:
    config = current_app.config
    issued = int(fair_use.now())
    bits = int(config.get("PROOF_OF_WORK_BITS", 16))
    token = _serializer().dumps(
        {
            "p": purpose,
            "s": fair_use.session_key(),
            "n": secrets.token_urlsafe(12),
            "b": bits,
            "i": issued,
            "e": issued + int(config.get("PROOF_OF_WORK_LIFETIME_SECONDS", 1800)),
        }
    )
    return Challenge(token, bits, issued + _wait())


def _wait() -> int:
    return int(current_app.config.get("PROOF_OF_WORK_WAIT_SECONDS", 15))


def solved(token: str, proof: str, bits: int) -> bool:
    """Does SHA-256(token ":" proof) start with `bits` zero bits?"""
    if not proof.isdigit() or len(proof) > 12:
        return False
    digest = hashlib.sha256(f"{token}:{proof}".encode()).digest()
    return int.from_bytes(digest, "big") >> (256 - bits) == 0 if bits else True


def check(purpose: str, token: str | None, proof: str | None) -> Verdict:
    """Accept a challenge paid for (solved, or waited out) once; otherwise say what next."""
    try:
        claims = _serializer().loads(token or "")
    except BadSignature:
        return Verdict(False, issue(purpose))
    if (
        not isinstance(claims, dict)
        or claims.get("p") != purpose
        or claims.get("s") != fair_use.session_key()
        or not isinstance(claims.get("e"), int)
        or claims["e"] < fair_use.now()
    ):
        return Verdict(False, issue(purpose))
    current = Challenge(str(token), int(claims["b"]), int(claims["i"]) + _wait())
    paid = solved(current.token, proof or "", current.bits) or fair_use.now() >= current.ready_at
    if not paid:
        return Verdict(False, current)
    if not fair_use.spend_once(current.token, claims["e"]):
        return Verdict(False, issue(purpose))  # replayed: pay again
    return Verdict(True, current)
