"""Safe Referral cryptography: envelopes, keys, key files, reference phrases, advisor custody.

A plain Python package with no web-framework imports; see README.md and
docs/envelope-format.md.
"""

from crypto.custody import (
    WrappedAdvisorKey,
    grant_recipient_key,
    new_advisor_key,
    new_recovery_key,
    open_grant,
    open_with_recovery,
    parse_recovery_key,
    rewrap_advisor_key,
    unwrap_advisor_key,
    wrap_for_recovery,
)
from crypto.envelope import (
    FORMAT_VERSION,
    open_record,
    recipient_key_id,
    seal_record,
)
from crypto.errors import CryptoError, DecryptionError, PhraseError, RecoveryKeyError
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
    "RecoveryKeyError",
    "ReferrerSecrets",
    "WrappedAdvisorKey",
    "derive_referrer_secrets",
    "grant_recipient_key",
    "keyring",
    "new_advisor_key",
    "new_phrase",
    "new_recovery_key",
    "normalise_phrase",
    "open_grant",
    "open_record",
    "open_sealed",
    "open_with_recovery",
    "parse_recovery_key",
    "protect",
    "recipient_key_id",
    "rewrap_advisor_key",
    "seal",
    "seal_record",
    "unprotect",
    "unwrap",
    "unwrap_advisor_key",
    "wrap",
    "wrap_for_recovery",
]
