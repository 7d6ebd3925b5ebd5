"""Hybrid post-quantum HPKE keys (ML-KEM-768 + X25519, RFC 9180 via `cryptography`).

A private key is 96 bytes: the 64-byte ML-KEM-768 seed followed by the 32-byte X25519 private
key. A public key is 1216 bytes: the 1184-byte ML-KEM-768 encapsulation key followed by the
32-byte X25519 public key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

from crypto.armor import armour, dearmour_label
from crypto.errors import CryptoError, DecryptionError

SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)

MLKEM_SEED_SIZE = 64
MLKEM_PUBLIC_SIZE = 1184
X25519_SIZE = 32
PRIVATE_KEY_SIZE = MLKEM_SEED_SIZE + X25519_SIZE
PUBLIC_KEY_SIZE = MLKEM_PUBLIC_SIZE + X25519_SIZE
KEY_ID_SIZE = 16

# Distinct prefixes keep the key id and the fingerprint independent hashes of the same key.
KEY_ID_PREFIX = b"safe-referral/v1/key-id\x00"
FINGERPRINT_PREFIX = b"safe-referral/v1/fingerprint\x00"
PUBLIC_KEY_LABEL = "PUBLIC KEY"


def _as_bytes(value: bytes) -> bytes:
    # bytes(int) would silently make a zero-filled key, so accept only byte strings.
    if not isinstance(value, bytes | bytearray | memoryview):
        raise CryptoError("key material must be bytes")
    return bytes(value)


class PublicKey:
    """A recipient's public key: safe to publish, compare and log (by key id)."""

    __slots__ = ("_hpke", "_key_id", "_raw")

    def __init__(self, raw: bytes) -> None:
        if not isinstance(raw, bytes) or len(raw) != PUBLIC_KEY_SIZE:
            raise CryptoError(f"a public key is exactly {PUBLIC_KEY_SIZE} bytes")
        try:
            kem = mlkem.MLKEM768PublicKey.from_public_bytes(raw[:MLKEM_PUBLIC_SIZE])
            dh = x25519.X25519PublicKey.from_public_bytes(raw[MLKEM_PUBLIC_SIZE:])
            # A low-order X25519 point would make every seal fail later; refuse it up front.
            x25519.X25519PrivateKey.generate().exchange(dh)
        except ValueError:
            raise CryptoError("this is not a valid Safe Referral public key") from None
        self._raw = raw
        self._hpke = hpke.MLKEM768X25519PublicKey(kem, dh)
        self._key_id = hashlib.sha256(KEY_ID_PREFIX + raw).digest()[:KEY_ID_SIZE]

    @classmethod
    def from_bytes(cls, b: bytes) -> PublicKey:
        return cls(_as_bytes(b))

    def to_bytes(self) -> bytes:
        return self._raw

    @property
    def key_id_bytes(self) -> bytes:
        """First 16 bytes of SHA-256(KEY_ID_PREFIX || public key bytes)."""
        return self._key_id

    @property
    def key_id(self) -> str:
        """32 lower-case hex characters identifying this key (stored in every envelope)."""
        return self.key_id_bytes.hex()

    @property
    def fingerprint(self) -> str:
        """128 bits as 8 groups of 4 upper-case hex digits, for checking a key over the phone."""
        digest = hashlib.sha256(FINGERPRINT_PREFIX + self._raw).hexdigest()[:32].upper()
        return " ".join(digest[i : i + 4] for i in range(0, 32, 4))

    def to_text(self) -> str:
        return armour(PUBLIC_KEY_LABEL, self._raw)

    @classmethod
    def from_text(cls, s: str) -> PublicKey:
        return cls(dearmour_label(PUBLIC_KEY_LABEL, s))

    def hpke_key(self) -> hpke.MLKEM768X25519PublicKey:
        return self._hpke

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PublicKey):
            return NotImplemented
        return hmac.compare_digest(self._raw, other._raw)

    def __hash__(self) -> int:
        return hash(self._raw)

    def __repr__(self) -> str:
        return f"PublicKey(key_id={self.key_id!r})"


class PrivateKey:
    """A hybrid private key. Its bytes never appear in repr/str; export only via to_bytes()."""

    __slots__ = ("_dh", "_hpke", "_kem", "_public")

    def __init__(self, raw: bytes) -> None:
        if not isinstance(raw, bytes) or len(raw) != PRIVATE_KEY_SIZE:
            raise CryptoError(f"a private key is exactly {PRIVATE_KEY_SIZE} bytes")
        try:
            self._kem = mlkem.MLKEM768PrivateKey.from_seed_bytes(raw[:MLKEM_SEED_SIZE])
            self._dh = x25519.X25519PrivateKey.from_private_bytes(raw[MLKEM_SEED_SIZE:])
        except ValueError:
            raise CryptoError("this is not a valid Safe Referral private key") from None
        self._hpke = hpke.MLKEM768X25519PrivateKey(self._kem, self._dh)
        self._public = PublicKey(
            self._kem.public_key().public_bytes_raw() + self._dh.public_key().public_bytes_raw()
        )

    @classmethod
    def generate(cls) -> PrivateKey:
        return cls(secrets.token_bytes(PRIVATE_KEY_SIZE))

    @classmethod
    def from_bytes(cls, b: bytes) -> PrivateKey:
        return cls(_as_bytes(b))

    @classmethod
    def from_seed(cls, seed: bytes) -> PrivateKey:
        """Deterministic key from 96 uniformly random bytes (any 96 bytes are a valid key)."""
        return cls(_as_bytes(seed))

    def to_bytes(self) -> bytes:
        return self._kem.private_bytes_raw() + self._dh.private_bytes_raw()

    @property
    def public_key(self) -> PublicKey:
        return self._public

    @property
    def key_id(self) -> str:
        return self._public.key_id

    def hpke_key(self) -> hpke.MLKEM768X25519PrivateKey:
        return self._hpke

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PrivateKey):
            return NotImplemented
        return hmac.compare_digest(self.to_bytes(), other.to_bytes())

    # Defining __eq__ leaves __hash__ = None: a secret has no business being a dict key.

    def __repr__(self) -> str:
        return f"PrivateKey(key_id={self.key_id!r})"

    def __reduce__(self) -> tuple[object, ...]:
        # Pickling would silently copy the secret into caches, sessions or task queues.
        raise TypeError("PrivateKey cannot be pickled; use to_bytes() deliberately")


def keyring(keys: Iterable[PrivateKey]) -> dict[str, PrivateKey]:
    """Map key id -> private key, the form `open_record` takes when several keys are in use."""
    return {key.key_id: key for key in keys}


def seal(public_key: PublicKey, plaintext: bytes, info: bytes) -> bytes:
    """HPKE single-shot base-mode encryption: enc (1120 bytes) || ciphertext || tag."""
    try:
        return SUITE.encrypt(plaintext, public_key.hpke_key(), info=info)
    except ValueError:
        raise CryptoError("could not seal to this public key") from None


def open_sealed(private_key: PrivateKey, sealed: bytes, info: bytes) -> bytes:
    """Reverse `seal`; any failure raises DecryptionError."""
    try:
        return SUITE.decrypt(sealed, private_key.hpke_key(), info=info)
    except (InvalidTag, ValueError, TypeError):
        raise DecryptionError from None
