"""Safe Referral cryptography: envelopes, keys, key files and reference phrases.

A plain Python package with no web-framework imports; see README.md and
docs/envelope-format.md.
"""

from crypto.envelope import (
    FORMAT_VERSION,
    open_record,
    recipient_key_id,
    seal_record,
)
from crypto.errors import CryptoError, DecryptionError, PhraseError
from crypto.keyfile import Argon2Params, protect, unprotect, unwrap, wrap
from crypto.keys import SUITE, PrivateKey, PublicKey, keyring, open_sealed, seal
from crypto.phrase import (
    WORDS_PER_PHRASE,
    ReferrerSecrets,
    derive_referrer_secrets,
    new_phrase,
    normalise_phrase,
)

__all__ = [
    "FORMAT_VERSION",
    "SUITE",
    "WORDS_PER_PHRASE",
    "Argon2Params",
    "CryptoError",
    "DecryptionError",
    "PhraseError",
    "PrivateKey",
    "PublicKey",
    "ReferrerSecrets",
    "derive_referrer_secrets",
    "keyring",
    "new_phrase",
    "normalise_phrase",
    "open_record",
    "open_sealed",
    "protect",
    "recipient_key_id",
    "seal",
    "seal_record",
    "unprotect",
    "unwrap",
    "wrap",
]
