"""Advisor key custody (docs/envelope-format.md section 8 is the normative description).

Each advisor has an own hybrid key pair. Its private key is stored wrapped under a key derived
from the advisor's password with Argon2id (a derivation deliberately unrelated to the login
hash). The provider's recipient private key reaches an advisor only as a *grant*: the recipient
key HPKE-sealed to that advisor's public key. A *recovery copy* of the recipient key is wrapped
under a random 256-bit recovery key that is shown once to a manager to keep offline.

The provider's signing key (crypto.signing) is held the same way, with its own formats so a
signing-key row can never be opened as a recipient key or the other way round.

Five small binary formats, each with its own magic and a version byte:
    "SRA" advisor key (WrappedAdvisorKey.to_bytes), "SRG" grant, "SRR" recovery copy,
    "SSG" signing-key grant, "SSR" signing-key recovery copy.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto._encoding import Reader, lp, u32
from crypto.aead import NONCE_SIZE, TAG_SIZE, unwrap, wrap
from crypto.errors import CryptoError, DecryptionError, RecoveryKeyError
from crypto.keyfile import DEFAULT_PARAMS, SALT_SIZE, Argon2Params, _passphrase_bytes, argon2id
from crypto.keys import (
    PRIVATE_KEY_SIZE,
    PUBLIC_KEY_SIZE,
    PrivateKey,
    PublicKey,
    open_sealed,
    seal,
)
from crypto.signing import SIGNING_KEY_SIZE, SigningKey

__all__ = [
    "CUSTODY_VERSION",
    "RECOVERY_KEY_SIZE",
    "WrappedAdvisorKey",
    "derive_advisor_wrapping_key",
    "grant_recipient_key",
    "grant_signing_key",
    "new_advisor_key",
    "new_recovery_key",
    "open_grant",
    "open_signing_grant",
    "open_signing_key_with_recovery",
    "open_with_recovery",
    "parse_recovery_key",
    "rewrap_advisor_key",
    "unwrap_advisor_key",
    "wrap_for_recovery",
    "wrap_signing_key_for_recovery",
]

CUSTODY_VERSION = 1
ADVISOR_KEY_MAGIC = b"SRA"
GRANT_MAGIC = b"SRG"
RECOVERY_MAGIC = b"SRR"
SIGNING_GRANT_MAGIC = b"SSG"
SIGNING_RECOVERY_MAGIC = b"SSR"
MAX_ADVISOR_ID_BYTES = 255

# Prepended to the password before Argon2id. argon2-cffi's PasswordHasher hashes the bare
# password, so with this prefix the two Argon2 inputs always differ and the login hash can never
# *be* the wrapping key, even if a bug or migration ever reused the login salt and costs.
PASSWORD_KEK_CONTEXT = b"safe-referral/v1/advisor-key-wrap\x00"
ADVISOR_KEY_AAD_LABEL = b"safe-referral/advisor-key"
GRANT_INFO_LABEL = b"safe-referral/advisor-grant"
RECOVERY_AAD_LABEL = b"safe-referral/recovery"
SIGNING_GRANT_INFO_LABEL = b"safe-referral/advisor-grant/signing-key"
SIGNING_RECOVERY_AAD_LABEL = b"safe-referral/recovery/signing-key"
RECOVERY_KEK_INFO = b"safe-referral/v1/recovery-wrap"
RECOVERY_CHECK_PREFIX = b"safe-referral/v1/recovery-key-check\x00"

WRAPPED_PRIVATE_KEY_SIZE = NONCE_SIZE + PRIVATE_KEY_SIZE + TAG_SIZE
_ADVISOR_HEADER_SIZE = len(ADVISOR_KEY_MAGIC) + 1 + 3 * 4 + SALT_SIZE
ADVISOR_KEY_BLOB_SIZE = _ADVISOR_HEADER_SIZE + PUBLIC_KEY_SIZE + WRAPPED_PRIVATE_KEY_SIZE

# Recovery key text: 32 key bytes + 3 checksum bytes = 280 bits = exactly 56 base32 characters,
# so there are no padding bits and every character a person types is meaningful.
RECOVERY_KEY_SIZE = 32
RECOVERY_CHECK_SIZE = 3
RECOVERY_GROUP = 4
RECOVERY_CHARS = (RECOVERY_KEY_SIZE + RECOVERY_CHECK_SIZE) * 8 // 5
RECOVERY_GROUPS = RECOVERY_CHARS // RECOVERY_GROUP
_BASE32_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
# Spaces, hyphens and dashes a word processor or phone may substitute are all just separators.
_RECOVERY_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212._]+")
_RECOVERY_MAX_INPUT = 200
# Digits base32 leaves out precisely because they look like these letters.
_LOOKALIKES = {"0": "the letter O", "1": "the letter I or L", "8": "the letter B"}
_RECOVERY_WRONG_LENGTH = (
    f"A recovery key is {RECOVERY_CHARS} letters and digits "
    f"({RECOVERY_GROUPS} groups of {RECOVERY_GROUP})"
)
_RECOVERY_TYPO = (
    "This recovery key has a typo. Check each group against the copy that was kept offline"
)


def _advisor_id_bytes(advisor_id: str) -> bytes:
    if not isinstance(advisor_id, str):
        raise CryptoError("advisor_id must be a string")
    try:
        encoded = advisor_id.encode("utf-8")
    except UnicodeEncodeError:
        raise CryptoError("advisor_id is not valid Unicode text") from None
    if not 0 < len(encoded) <= MAX_ADVISOR_ID_BYTES:
        raise CryptoError(f"advisor_id must be 1 to {MAX_ADVISOR_ID_BYTES} bytes of UTF-8")
    return encoded


def _key_id_bytes(key_id: str) -> bytes:
    # Key ids are always our own 32 lower-case hex characters; anything else is caller misuse.
    if not isinstance(key_id, str) or not re.fullmatch(r"[0-9a-f]{32}", key_id):
        raise CryptoError("a key id is 32 lower-case hex characters")
    return bytes.fromhex(key_id)


def _stored_params(time_cost: int, memory_kib: int, parallelism: int) -> Argon2Params:
    """Costs read back from storage, as an Argon2Params equal to the one they were written from.

    `minimum_enforced` is a policy for *creating* wraps, not part of the stored bytes. Setting it
    to whether the costs meet the minimum makes `from_bytes(to_bytes(w)) == w` for both the
    defaults and TEST_PARAMS, while reading never refuses an old, weaker wrap (bounds still apply
    so a crafted row cannot make us allocate without limit).
    """
    params = Argon2Params(time_cost, memory_kib, parallelism)
    try:
        return params.validate()
    except CryptoError:
        relaxed = Argon2Params(time_cost, memory_kib, parallelism, minimum_enforced=False)
        relaxed.check_bounds()
        return relaxed


# --- the advisor's own key pair, wrapped under a password-derived key ----------------------


def derive_advisor_wrapping_key(password: str, salt: bytes, params: Argon2Params) -> bytes:
    """The 32-byte key-encryption key: Argon2id(PASSWORD_KEK_CONTEXT || NFC(password), salt)."""
    if not isinstance(salt, bytes) or len(salt) != SALT_SIZE:
        raise CryptoError(f"the salt is exactly {SALT_SIZE} bytes")
    return argon2id(PASSWORD_KEK_CONTEXT + _passphrase_bytes(password), salt, params)


def _advisor_key_aad(advisor_id: bytes, key_id: bytes, params: Argon2Params, salt: bytes) -> bytes:
    # Binding the advisor id stops one advisor's row being copied onto another's; binding the
    # costs and salt makes every stored byte authenticated, as in key files.
    return (
        lp(ADVISOR_KEY_AAD_LABEL)
        + bytes([CUSTODY_VERSION])
        + lp(advisor_id)
        + lp(key_id)
        + u32(params.time_cost)
        + u32(params.memory_kib)
        + u32(params.parallelism)
        + lp(salt)
    )


@dataclass(frozen=True)
class WrappedAdvisorKey:
    """An advisor's public key and password-wrapped private key, as stored in one DB column."""

    public_key: bytes
    salt: bytes
    params: Argon2Params
    wrapped: bytes

    def __post_init__(self) -> None:
        # Fail at construction rather than at the next login if a caller builds one by hand.
        if not isinstance(self.public_key, bytes) or len(self.public_key) != PUBLIC_KEY_SIZE:
            raise CryptoError(f"public_key is exactly {PUBLIC_KEY_SIZE} bytes")
        if not isinstance(self.salt, bytes) or len(self.salt) != SALT_SIZE:
            raise CryptoError(f"salt is exactly {SALT_SIZE} bytes")
        if not isinstance(self.params, Argon2Params):
            raise CryptoError("params must be Argon2Params")
        if not isinstance(self.wrapped, bytes) or len(self.wrapped) != WRAPPED_PRIVATE_KEY_SIZE:
            raise CryptoError(f"wrapped is exactly {WRAPPED_PRIVATE_KEY_SIZE} bytes")

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.public_key)

    @property
    def key_id(self) -> str:
        return self.public.key_id

    def to_bytes(self) -> bytes:
        """1372 bytes: "SRA" || u8(1) || u32 t, m, p || salt || public key || wrapped key."""
        return (
            ADVISOR_KEY_MAGIC
            + bytes([CUSTODY_VERSION])
            + u32(self.params.time_cost)
            + u32(self.params.memory_kib)
            + u32(self.params.parallelism)
            + self.salt
            + self.public_key
            + self.wrapped
        )

    @classmethod
    def from_bytes(cls, blob: bytes) -> WrappedAdvisorKey:
        """Parse strictly; a wrong magic, version, length or public key raises DecryptionError."""
        if not isinstance(blob, bytes | bytearray | memoryview):
            raise DecryptionError
        reader = Reader(bytes(blob))
        if reader.take(len(ADVISOR_KEY_MAGIC)) != ADVISOR_KEY_MAGIC:
            raise DecryptionError
        if reader.u8() != CUSTODY_VERSION:
            raise DecryptionError
        try:
            params = _stored_params(reader.u32(), reader.u32(), reader.u32())
            salt = reader.take(SALT_SIZE)
            public_key = reader.take(PUBLIC_KEY_SIZE)
            PublicKey(public_key)  # refuse an invalid key now, not when someone seals to it
            wrapped = reader.take(WRAPPED_PRIVATE_KEY_SIZE)
            reader.end()
            return cls(public_key, salt, params, wrapped)
        except CryptoError:
            raise DecryptionError from None

    def __repr__(self) -> str:
        return f"WrappedAdvisorKey(key_id={self.key_id!r}, params={self.params!r})"


def rewrap_advisor_key(
    private_key: PrivateKey,
    advisor_id: str,
    new_password: str,
    params: Argon2Params = DEFAULT_PARAMS,
) -> WrappedAdvisorKey:
    """Wrap an existing advisor key under a (new) password; the key pair is unchanged.

    A fresh salt is drawn every time, so a password change never reuses a key-encryption key.
    """
    if not isinstance(private_key, PrivateKey):
        raise CryptoError("private_key must be a PrivateKey")
    params.validate()
    advisor = _advisor_id_bytes(advisor_id)
    if not new_password:
        raise CryptoError("a password is required")
    salt = secrets.token_bytes(SALT_SIZE)
    kek = derive_advisor_wrapping_key(new_password, salt, params)
    public = private_key.public_key
    aad = _advisor_key_aad(advisor, public.key_id_bytes, params, salt)
    return WrappedAdvisorKey(
        public_key=public.to_bytes(),
        salt=salt,
        params=params,
        wrapped=wrap(private_key.to_bytes(), kek, aad),
    )


def new_advisor_key(
    password: str,
    advisor_id: str,
    params: Argon2Params = DEFAULT_PARAMS,
) -> tuple[PrivateKey, WrappedAdvisorKey]:
    """Generate an advisor's own key pair and wrap it under their password."""
    private_key = PrivateKey.generate()
    return private_key, rewrap_advisor_key(private_key, advisor_id, password, params)


def unwrap_advisor_key(wrapped: WrappedAdvisorKey, password: str, advisor_id: str) -> PrivateKey:
    """Recover the advisor's private key. Wrong password, advisor id or any tamper: DecryptionError.

    Stored costs are only bounds-checked, not held to today's minimum, so wraps made under older
    parameters still open; compare `wrapped.params` with the current policy to rewrap on login.
    """
    if not isinstance(wrapped, WrappedAdvisorKey):
        raise CryptoError("wrapped must be a WrappedAdvisorKey")
    advisor = _advisor_id_bytes(advisor_id)
    try:
        wrapped.params.check_bounds()
        public = PublicKey(wrapped.public_key)
        kek = derive_advisor_wrapping_key(password, wrapped.salt, wrapped.params)
        aad = _advisor_key_aad(advisor, public.key_id_bytes, wrapped.params, wrapped.salt)
        private_key = PrivateKey(unwrap(wrapped.wrapped, kek, aad))
    except CryptoError:
        raise DecryptionError from None
    # The AAD already binds the key id; this also catches a wrapper that paired the wrong halves.
    if private_key.public_key != public:
        raise DecryptionError
    return private_key


# --- what custody holds: the recipient key and the signing key, kept apart -----------------


@dataclass(frozen=True)
class _Held:
    """One kind of provider secret held in custody; its own magics and labels keep kinds apart."""

    grant_magic: bytes
    grant_label: bytes
    recovery_magic: bytes
    recovery_label: bytes
    size: int


_RECIPIENT = _Held(
    GRANT_MAGIC, GRANT_INFO_LABEL, RECOVERY_MAGIC, RECOVERY_AAD_LABEL, PRIVATE_KEY_SIZE
)
_SIGNING = _Held(
    SIGNING_GRANT_MAGIC,
    SIGNING_GRANT_INFO_LABEL,
    SIGNING_RECOVERY_MAGIC,
    SIGNING_RECOVERY_AAD_LABEL,
    SIGNING_KEY_SIZE,
)


# --- grants: a provider key sealed to an advisor ------------------------------------------


def _grant_info(held: _Held, key_id: bytes, advisor_id: bytes) -> bytes:
    # HPKE already ties the grant to the advisor's key pair through the KEM; the info ties it to
    # the advisor id and to which key is inside, so rows cannot be swapped.
    return lp(held.grant_label) + bytes([CUSTODY_VERSION]) + lp(key_id) + lp(advisor_id)


def _seal_grant(
    held: _Held, secret: bytes, key_id: bytes, advisor_public: PublicKey, advisor_id: str
) -> bytes:
    if not isinstance(advisor_public, PublicKey):
        raise CryptoError("advisor_public must be a PublicKey")
    info = _grant_info(held, key_id, _advisor_id_bytes(advisor_id))
    return held.grant_magic + bytes([CUSTODY_VERSION]) + seal(advisor_public, secret, info)


def _open_grant(
    held: _Held, sealed: bytes, advisor_key: PrivateKey, advisor_id: str, key_id: bytes
) -> bytes:
    """The raw secret inside a grant (length checked); any mismatch raises DecryptionError."""
    if not isinstance(advisor_key, PrivateKey):
        raise CryptoError("advisor_key must be a PrivateKey")
    info = _grant_info(held, key_id, _advisor_id_bytes(advisor_id))
    try:
        reader = Reader(bytes(sealed))
        if reader.take(len(held.grant_magic)) != held.grant_magic:
            raise DecryptionError
        if reader.u8() != CUSTODY_VERSION:
            raise DecryptionError
        raw = open_sealed(advisor_key, reader.rest(), info)
    except (CryptoError, TypeError):
        raise DecryptionError from None
    if len(raw) != held.size:
        raise DecryptionError
    return raw


def grant_recipient_key(
    recipient_key: PrivateKey, advisor_public: PublicKey, advisor_id: str
) -> bytes:
    """Seal the provider's recipient private key to one advisor: "SRG" || u8(1) || HPKE blob."""
    if not isinstance(recipient_key, PrivateKey):
        raise CryptoError("recipient_key must be a PrivateKey")
    key_id = recipient_key.public_key.key_id_bytes
    return _seal_grant(_RECIPIENT, recipient_key.to_bytes(), key_id, advisor_public, advisor_id)


def _check_opened(raw: bytes, recipient_key_id: bytes) -> PrivateKey:
    if len(raw) != PRIVATE_KEY_SIZE:
        raise DecryptionError
    key = PrivateKey(raw)
    # The caller names the key it expects, so a blob cannot hand over a different key unnoticed.
    if not hmac.compare_digest(key.public_key.key_id_bytes, recipient_key_id):
        raise DecryptionError
    return key


def _check_opened_signing(raw: bytes, signing_key_id: bytes) -> SigningKey:
    try:
        key = SigningKey(raw)
    except CryptoError:
        raise DecryptionError from None
    # As for recipient keys: the caller names the key it expects.
    if not hmac.compare_digest(key.verify_key.key_id_bytes, signing_key_id):
        raise DecryptionError
    return key


def open_grant(
    sealed: bytes, advisor_key: PrivateKey, advisor_id: str, recipient_key_id: str
) -> PrivateKey:
    """Open a grant with the advisor's own key; any mismatch or tamper raises DecryptionError."""
    expected = _key_id_bytes(recipient_key_id)
    raw = _open_grant(_RECIPIENT, sealed, advisor_key, advisor_id, expected)
    try:
        return _check_opened(raw, expected)
    except CryptoError:
        raise DecryptionError from None


def grant_signing_key(signing_key: SigningKey, advisor_public: PublicKey, advisor_id: str) -> bytes:
    """Seal the provider's signing key to one advisor: "SSG" || u8(1) || HPKE blob."""
    if not isinstance(signing_key, SigningKey):
        raise CryptoError("signing_key must be a SigningKey")
    key_id = signing_key.verify_key.key_id_bytes
    return _seal_grant(_SIGNING, signing_key.to_bytes(), key_id, advisor_public, advisor_id)


def open_signing_grant(
    sealed: bytes, advisor_key: PrivateKey, advisor_id: str, signing_key_id: str
) -> SigningKey:
    """Open a signing-key grant; any mismatch or tamper raises DecryptionError."""
    expected = _key_id_bytes(signing_key_id)
    raw = _open_grant(_SIGNING, sealed, advisor_key, advisor_id, expected)
    return _check_opened_signing(raw, expected)


# --- recovery: the recipient key wrapped under an offline recovery key ----------------------


def _recovery_check(key: bytes) -> bytes:
    return hashlib.sha256(RECOVERY_CHECK_PREFIX + key).digest()[:RECOVERY_CHECK_SIZE]


def new_recovery_key() -> str:
    """256 random bits as 14 hyphen-separated groups of 4 base32 characters (last bits: checksum).

    Base32 (A-Z, 2-7) has no 0/1/8, so nothing is confused with O/I/L/B when copied by hand.
    """
    key = secrets.token_bytes(RECOVERY_KEY_SIZE)
    text = base64.b32encode(key + _recovery_check(key)).decode("ascii")
    return "-".join(text[i : i + RECOVERY_GROUP] for i in range(0, len(text), RECOVERY_GROUP))


def parse_recovery_key(text: str) -> bytes:
    """The 32 key bytes of a typed recovery key, or RecoveryKeyError with a message to show.

    Case, spaces, hyphens and dashes are ignored; a typo is caught by the 24-bit checksum.
    """
    if not isinstance(text, str) or len(text) > _RECOVERY_MAX_INPUT:
        raise RecoveryKeyError(_RECOVERY_WRONG_LENGTH)
    # NFKC folds full-width letters and digits that some keyboards produce.
    compact = _RECOVERY_SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    for ch in compact:
        if ch not in _BASE32_ALPHABET:
            shown = ch if ch.isprintable() else "?"
            hint = f". Did you mean {_LOOKALIKES[ch]}?" if ch in _LOOKALIKES else ""
            raise RecoveryKeyError(
                f"'{shown}' is not used in recovery keys, which contain only the letters A to Z "
                f"and the digits 2 to 7{hint}"
            )
    if len(compact) != RECOVERY_CHARS:
        raise RecoveryKeyError(f"{_RECOVERY_WRONG_LENGTH}; this one has {len(compact)}")
    try:
        raw = base64.b32decode(compact)
    except (binascii.Error, ValueError):
        raise RecoveryKeyError(_RECOVERY_TYPO) from None
    key, check = raw[:RECOVERY_KEY_SIZE], raw[RECOVERY_KEY_SIZE:]
    if not hmac.compare_digest(_recovery_check(key), check):
        raise RecoveryKeyError(_RECOVERY_TYPO)
    return key


def _recovery_kek(recovery_key: bytes) -> bytes:
    # The recovery key is already 256 uniform bits, so no password hashing is needed; HKDF with
    # a fixed info just keeps this key-encryption key separate from any other use of those bits.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=RECOVERY_KEK_INFO).derive(
        recovery_key
    )


def _recovery_aad(held: _Held, key_id: bytes) -> bytes:
    return lp(held.recovery_label) + bytes([CUSTODY_VERSION]) + lp(key_id)


def _wrap_recovery(held: _Held, secret: bytes, key_id: bytes, recovery_key_text: str) -> bytes:
    kek = _recovery_kek(parse_recovery_key(recovery_key_text))
    aad = _recovery_aad(held, key_id)
    return held.recovery_magic + bytes([CUSTODY_VERSION]) + wrap(secret, kek, aad)


def _open_recovery(held: _Held, blob: bytes, recovery_key_text: str, key_id: bytes) -> bytes:
    # The typo check runs first so a manager is told to re-check the text rather than being
    # told the (correctly typed) key is wrong.
    kek = _recovery_kek(parse_recovery_key(recovery_key_text))
    try:
        reader = Reader(bytes(blob))
        if reader.take(len(held.recovery_magic)) != held.recovery_magic:
            raise DecryptionError
        if reader.u8() != CUSTODY_VERSION:
            raise DecryptionError
        raw = unwrap(reader.rest(), kek, _recovery_aad(held, key_id))
    except (CryptoError, TypeError):
        raise DecryptionError from None
    if len(raw) != held.size:
        raise DecryptionError
    return raw


def wrap_for_recovery(recipient_key: PrivateKey, recovery_key_text: str) -> bytes:
    """The recovery copy: "SRR" || u8(1) || nonce || AES-256-GCM(recipient private key)."""
    if not isinstance(recipient_key, PrivateKey):
        raise CryptoError("recipient_key must be a PrivateKey")
    key_id = recipient_key.public_key.key_id_bytes
    return _wrap_recovery(_RECIPIENT, recipient_key.to_bytes(), key_id, recovery_key_text)


def open_with_recovery(blob: bytes, recovery_key_text: str, recipient_key_id: str) -> PrivateKey:
    """Open a recovery copy. A mistyped key: RecoveryKeyError; wrong key or tamper: DecryptionError.

    The typo check runs first so a manager is told to re-check the text rather than being told
    the (correctly typed) key is wrong.
    """
    expected = _key_id_bytes(recipient_key_id)
    raw = _open_recovery(_RECIPIENT, blob, recovery_key_text, expected)
    try:
        return _check_opened(raw, expected)
    except CryptoError:
        raise DecryptionError from None


def wrap_signing_key_for_recovery(signing_key: SigningKey, recovery_key_text: str) -> bytes:
    """The signing key's recovery copy: "SSR" || u8(1) || nonce || AES-256-GCM(signing key).

    The same offline recovery key can protect both the recipient key and the signing key.
    """
    if not isinstance(signing_key, SigningKey):
        raise CryptoError("signing_key must be a SigningKey")
    key_id = signing_key.verify_key.key_id_bytes
    return _wrap_recovery(_SIGNING, signing_key.to_bytes(), key_id, recovery_key_text)


def open_signing_key_with_recovery(
    blob: bytes, recovery_key_text: str, signing_key_id: str
) -> SigningKey:
    """Open a signing-key recovery copy; a typo: RecoveryKeyError, else DecryptionError."""
    expected = _key_id_bytes(signing_key_id)
    raw = _open_recovery(_SIGNING, blob, recovery_key_text, expected)
    return _check_opened_signing(raw, expected)
