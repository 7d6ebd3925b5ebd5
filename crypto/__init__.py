"""Safe Referral cryptography: envelopes, keys, key files, reference phrases, advisor custody,
provider signing keys, signed recipient key sets and message/action proofs.

A plain Python package with no web-framework imports; see README.md and
docs/envelope-format.md.
"""

from crypto.custody import (
    WrappedAdvisorKey,
    grant_recipient_key,
    grant_signing_key,
    new_advisor_key,
    new_recovery_key,
    open_grant,
    open_signing_grant,
    open_signing_key_with_recovery,
    open_with_recovery,
    parse_recovery_key,
    rewrap_advisor_key,
    unwrap_advisor_key,
    wrap_for_recovery,
    wrap_signing_key_for_recovery,
)
from crypto.envelope import (
    FORMAT_VERSION,
    REFERRAL_FORMAT_VERSION,
    OpenedEnvelope,
    ReferrerBinding,
    envelope_version,
    open_envelope,
    open_record,
    recipient_key_id,
    seal_record,
)
from crypto.errors import (
    CryptoError,
    DecryptionError,
    KeySetError,
    PhraseError,
    RecoveryKeyError,
    SignatureError,
)
from crypto.key_set import KeySet, check_successor, sign_key_set, verify_key_set
from crypto.keyfile import Argon2Params, protect, unprotect, unwrap, wrap
from crypto.keys import SUITE, PrivateKey, PublicKey, keyring, open_sealed, seal
from crypto.phrase import (
    WORDS_PER_PHRASE,
    ReferrerSecrets,
    derive_referrer_secrets,
    new_phrase,
    normalise_phrase,
)
from crypto.proofs import DELETION, MESSAGE, WITHDRAWAL, Direction, prove, verify_proof
from crypto.signing import SigningKey, VerifyKey

__all__ = [
    "DELETION",
    "FORMAT_VERSION",
    "MESSAGE",
    "REFERRAL_FORMAT_VERSION",
    "SUITE",
    "WITHDRAWAL",
    "WORDS_PER_PHRASE",
    "Argon2Params",
    "CryptoError",
    "DecryptionError",
    "Direction",
    "KeySet",
    "KeySetError",
    "OpenedEnvelope",
    "PhraseError",
    "PrivateKey",
    "PublicKey",
    "RecoveryKeyError",
    "ReferrerBinding",
    "ReferrerSecrets",
    "SignatureError",
    "SigningKey",
    "VerifyKey",
    "WrappedAdvisorKey",
    "check_successor",
    "derive_referrer_secrets",
    "envelope_version",
    "grant_recipient_key",
    "grant_signing_key",
    "keyring",
    "new_advisor_key",
    "new_phrase",
    "new_recovery_key",
    "normalise_phrase",
    "open_envelope",
    "open_grant",
    "open_record",
    "open_sealed",
    "open_signing_grant",
    "open_signing_key_with_recovery",
    "open_with_recovery",
    "parse_recovery_key",
    "protect",
    "prove",
    "recipient_key_id",
    "rewrap_advisor_key",
    "seal",
    "seal_record",
    "sign_key_set",
    "unprotect",
    "unwrap",
    "unwrap_advisor_key",
    "verify_key_set",
    "verify_proof",
    "wrap",
    "wrap_for_recovery",
    "wrap_signing_key_for_recovery",
]
