"""Hybrid provider signing keys: ML-DSA-65 (FIPS 204) AND Ed25519 (RFC 8032).

A signature is valid only if BOTH halves verify, so it stays unforgeable while either algorithm
holds (ML-DSA against a future quantum computer, Ed25519 against a flaw in the newer scheme).
Every signature covers a context label, the signer's key id and the message, so a signature
made for one purpose (say, a recipient key set) can never be valid for another.

Signing key: 64 bytes = ML-DSA-65 seed (32) || Ed25519 private key (32).
Verify key: 1984 bytes = ML-DSA-65 public key (1952) || Ed25519 public key (32).
Signature: 3373 bytes = ML-DSA-65 signature (3309) || Ed25519 signature (64).
docs/envelope-format.md section 9 is the normative description.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519, mldsa

from crypto._encoding import lp
from crypto.armor import armour, dearmour_label
from crypto.errors import CryptoError, SignatureError
from crypto.keys import KEY_ID_SIZE

__all__ = [
    "SIGNATURE_SIZE",
    "SIGNING_KEY_SIZE",
    "VERIFY_KEY_SIZE",
    "SigningKey",
    "VerifyKey",
    "normalise_fingerprint",
]

MLDSA_SEED_SIZE = 32
MLDSA_PUBLIC_SIZE = 1952
MLDSA_SIGNATURE_SIZE = 3309
ED25519_SIZE = 32
ED25519_SIGNATURE_SIZE = 64
SIGNING_KEY_SIZE = MLDSA_SEED_SIZE + ED25519_SIZE
VERIFY_KEY_SIZE = MLDSA_PUBLIC_SIZE + ED25519_SIZE
SIGNATURE_SIZE = MLDSA_SIGNATURE_SIZE + ED25519_SIGNATURE_SIZE

# Own prefixes, distinct from the recipient key's, so a signing key's id or fingerprint can
# never equal a recipient key's even if the bytes were somehow the same.
SIGNING_KEY_ID_PREFIX = b"safe-referral/v1/signing-key-id\x00"
SIGNING_FINGERPRINT_PREFIX = b"safe-referral/v1/signing-fingerprint\x00"
SIGNATURE_LABEL = b"safe-referral/v1/signature"
VERIFY_KEY_LABEL = "SIGNING PUBLIC KEY"
MAX_CONTEXT_BYTES = 255
# Contexts are fixed identifiers chosen in code, never user input: keep them plain ASCII.
_CONTEXT = re.compile(r"[a-z0-9][a-z0-9./-]*")
_FINGERPRINT_SEPARATORS = re.compile(r"[\s\-:]+")


def _as_bytes(value: bytes) -> bytes:
    # bytes(int) would silently make a zero-filled key, so accept only byte strings.
    if not isinstance(value, bytes | bytearray | memoryview):
        raise CryptoError("key material must be bytes")
    return bytes(value)


def _context_bytes(context: str) -> bytes:
    if (
        not isinstance(context, str)
        or len(context) > MAX_CONTEXT_BYTES
        or not _CONTEXT.fullmatch(context)
    ):
        raise CryptoError("a signature context is 1-255 characters of a-z, 0-9, '.', '/' and '-'")
    return context.encode("ascii")


def _to_be_signed(context: str, key_id: bytes, message: bytes) -> bytes:
    """What both halves sign: lp(label) || lp(context) || lp(signer key id) || lp(message)."""
    if not isinstance(message, bytes):
        raise CryptoError("the message to sign must be bytes")
    return lp(SIGNATURE_LABEL) + lp(_context_bytes(context)) + lp(key_id) + lp(message)


def normalise_fingerprint(text: str) -> bytes:
    """The 16 bytes of a fingerprint as people write it (any case, spaces, hyphens or colons)."""
    if not isinstance(text, str):
        raise CryptoError("a fingerprint is text")
    compact = _FINGERPRINT_SEPARATORS.sub("", text.strip())
    if not re.fullmatch(r"[0-9A-Fa-f]{32}", compact):
        raise CryptoError("a fingerprint is 32 hexadecimal digits (8 groups of 4)")
    return bytes.fromhex(compact)


def _grouped(raw16: bytes) -> str:
    digest = raw16.hex().upper()
    return " ".join(digest[i : i + 4] for i in range(0, 32, 4))


class VerifyKey:
    """The public half of a provider signing key: safe to publish and pin by fingerprint."""

    __slots__ = ("_ed", "_key_id", "_mldsa", "_raw")

    def __init__(self, raw: bytes) -> None:
        if not isinstance(raw, bytes) or len(raw) != VERIFY_KEY_SIZE:
            raise CryptoError(f"a signing public key is exactly {VERIFY_KEY_SIZE} bytes")
        try:
            self._mldsa = mldsa.MLDSA65PublicKey.from_public_bytes(raw[:MLDSA_PUBLIC_SIZE])
            self._ed = ed25519.Ed25519PublicKey.from_public_bytes(raw[MLDSA_PUBLIC_SIZE:])
        except ValueError:
            raise CryptoError("this is not a valid Safe Referral signing public key") from None
        self._raw = raw
        self._key_id = hashlib.sha256(SIGNING_KEY_ID_PREFIX + raw).digest()[:KEY_ID_SIZE]

    @classmethod
    def from_bytes(cls, b: bytes) -> VerifyKey:
        return cls(_as_bytes(b))

    def to_bytes(self) -> bytes:
        return self._raw

    @property
    def key_id_bytes(self) -> bytes:
        """First 16 bytes of SHA-256(SIGNING_KEY_ID_PREFIX || verify key bytes)."""
        return self._key_id

    @property
    def key_id(self) -> str:
        """32 lower-case hex characters naming this key in databases and custody rows."""
        return self._key_id.hex()

    @property
    def fingerprint_bytes(self) -> bytes:
        return hashlib.sha256(SIGNING_FINGERPRINT_PREFIX + self._raw).digest()[:16]

    @property
    def fingerprint(self) -> str:
        """128 bits as 8 groups of 4 upper-case hex digits: what deployment config pins."""
        return _grouped(self.fingerprint_bytes)

    def matches_fingerprint(self, pinned: str) -> bool:
        """Constant-time comparison with a fingerprint as written in configuration."""
        return hmac.compare_digest(self.fingerprint_bytes, normalise_fingerprint(pinned))

    def verify(self, context: str, message: bytes, signature: bytes) -> None:
        """Return only if BOTH the ML-DSA-65 and the Ed25519 signature verify; else SignatureError.

        A wrong context or key raises the same error as a tampered message: misuse never
        silently passes.
        """
        tbs = _to_be_signed(context, self._key_id, message)
        if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
            raise SignatureError
        # Both halves are always checked (no early return), and both must pass.
        valid = True
        try:
            self._mldsa.verify(signature[:MLDSA_SIGNATURE_SIZE], tbs)
        except InvalidSignature:
            valid = False
        try:
            self._ed.verify(signature[MLDSA_SIGNATURE_SIZE:], tbs)
        except InvalidSignature:
            valid = False
        if not valid:
            raise SignatureError

    def to_text(self) -> str:
        return armour(VERIFY_KEY_LABEL, self._raw)

    @classmethod
    def from_text(cls, s: str) -> VerifyKey:
        return cls(dearmour_label(VERIFY_KEY_LABEL, s))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VerifyKey):
            return NotImplemented
        return hmac.compare_digest(self._raw, other._raw)

    def __hash__(self) -> int:
        return hash(self._raw)

    def __repr__(self) -> str:
        return f"VerifyKey(key_id={self.key_id!r})"


class SigningKey:
    """A provider signing key. Its bytes never appear in repr; export only via to_bytes()."""

    __slots__ = ("_ed", "_mldsa", "_verify_key")

    def __init__(self, raw: bytes) -> None:
        if not isinstance(raw, bytes) or len(raw) != SIGNING_KEY_SIZE:
            raise CryptoError(f"a signing key is exactly {SIGNING_KEY_SIZE} bytes")
        try:
            self._mldsa = mldsa.MLDSA65PrivateKey.from_seed_bytes(raw[:MLDSA_SEED_SIZE])
            self._ed = ed25519.Ed25519PrivateKey.from_private_bytes(raw[MLDSA_SEED_SIZE:])
        except ValueError:
            raise CryptoError("this is not a valid Safe Referral signing key") from None
        self._verify_key = VerifyKey(
            self._mldsa.public_key().public_bytes_raw() + self._ed.public_key().public_bytes_raw()
        )

    @classmethod
    def generate(cls) -> SigningKey:
        # Any 64 bytes are a valid key: both halves are seeds.
        return cls(secrets.token_bytes(SIGNING_KEY_SIZE))

    @classmethod
    def from_bytes(cls, b: bytes) -> SigningKey:
        return cls(_as_bytes(b))

    def to_bytes(self) -> bytes:
        """64 bytes for custody (keyfile.protect, custody.grant_signing_key, recovery)."""
        return self._mldsa.private_bytes_raw() + self._ed.private_bytes_raw()

    @property
    def verify_key(self) -> VerifyKey:
        return self._verify_key

    @property
    def key_id(self) -> str:
        return self._verify_key.key_id

    def sign(self, context: str, message: bytes) -> bytes:
        """ML-DSA-65 signature || Ed25519 signature over the same context-bound input."""
        tbs = _to_be_signed(context, self._verify_key.key_id_bytes, message)
        return self._mldsa.sign(tbs) + self._ed.sign(tbs)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SigningKey):
            return NotImplemented
        return hmac.compare_digest(self.to_bytes(), other.to_bytes())

    # Defining __eq__ leaves __hash__ = None: a secret has no business being a dict key.

    def __repr__(self) -> str:
        return f"SigningKey(key_id={self.key_id!r})"

    def __reduce__(self) -> tuple[object, ...]:
        # Pickling would silently copy the secret into caches, sessions or task queues.
        raise TypeError("SigningKey cannot be pickled; use to_bytes() deliberately")
