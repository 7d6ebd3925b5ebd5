"""What a reference phrase would unlock, made fast for tests that skip the pages (no Argon2id).

Derived from the referral id, so a test can seal a v2 referral and later act as its phrase
holder (send a message, withdraw) or check a reply's proof, without keeping anything around.
"""

from __future__ import annotations

import hashlib

from app.intake.referrals import Referrer
from crypto.envelope import ReferrerBinding
from crypto.keys import PRIVATE_KEY_SIZE, PrivateKey


def referrer_for(referral_id: str) -> Referrer:
    seed = hashlib.shake_256(b"test referrer key " + referral_id.encode()).digest(PRIVATE_KEY_SIZE)
    auth = hashlib.sha256(b"test referrer auth " + referral_id.encode()).digest()
    return Referrer(PrivateKey.from_seed(seed), auth)


def binding_for(referral_id: str) -> ReferrerBinding:
    referrer = referrer_for(referral_id)
    return ReferrerBinding(referrer.key.public_key, referrer.auth_key)
