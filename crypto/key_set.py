"""Signed recipient key sets: which HPKE keys a provider vouches for, signed by its signing key.

Intake's database is not trusted to say which key is the provider's (DESIGN G2). The provider
signs the list of its recipient public keys with its hybrid signing key, and intake (and the
console) accept a list only if the signing key's fingerprint equals the one pinned in their
deployment configuration. docs/envelope-format.md section 10 is the normative description.

    body = "SRS" || u8(1) || lp(provider) || u32(sequence) || issued ("YYYY-MM-DD", 10 bytes)
           || verify key (1984) || u8(n) || n x recipient public key (1216 each, newest first)
    blob = body || signature (3373) over body with context "recipient-key-set"
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from crypto._encoding import U32_MAX, Reader, lp, u32
from crypto.errors import CryptoError, KeySetError
from crypto.keys import PUBLIC_KEY_SIZE, PublicKey
from crypto.signing import (
    SIGNATURE_SIZE,
    VERIFY_KEY_SIZE,
    SigningKey,
    VerifyKey,
    normalise_fingerprint,
)

__all__ = [
    "KEY_SET_CONTEXT",
    "KEY_SET_VERSION",
    "MAX_KEYS",
    "KeySet",
    "check_successor",
    "sign_key_set",
    "verify_key_set",
]

KEY_SET_MAGIC = b"SRS"
KEY_SET_VERSION = 1
KEY_SET_CONTEXT = "recipient-key-set"
KEY_SET_DIGEST_PREFIX = b"safe-referral/v1/key-set-digest\x00"
MAX_KEYS = 16
MAX_PROVIDER_BYTES = 255
DATE_SIZE = 10


def _provider_bytes(provider: str) -> bytes:
    if not isinstance(provider, str):
        raise CryptoError("provider must be a string")
    try:
        encoded = provider.encode("utf-8")
    except UnicodeEncodeError:
        raise CryptoError("provider is not valid Unicode text") from None
    if not 0 < len(encoded) <= MAX_PROVIDER_BYTES:
        raise CryptoError(f"provider must be 1 to {MAX_PROVIDER_BYTES} bytes of UTF-8")
    return encoded


def _issued_bytes(issued: dt.date) -> bytes:
    # datetime is a subclass of date; refuse it so a time of day can never slip in (G4).
    if not isinstance(issued, dt.date) or isinstance(issued, dt.datetime):
        raise CryptoError("issued must be a datetime.date (day precision only)")
    if not 1 <= issued.year <= 9999:
        raise CryptoError("issued is out of range")
    return issued.isoformat().encode("ascii")


def _body(
    provider: bytes,
    sequence: int,
    issued: bytes,
    verify_key: VerifyKey,
    public_keys: Sequence[PublicKey],
) -> bytes:
    return (
        KEY_SET_MAGIC
        + bytes([KEY_SET_VERSION])
        + lp(provider)
        + u32(sequence)
        + issued
        + verify_key.to_bytes()
        + bytes([len(public_keys)])
        + b"".join(key.to_bytes() for key in public_keys)
    )


def _check_keys(public_keys: Sequence[PublicKey]) -> tuple[PublicKey, ...]:
    keys = tuple(public_keys)
    if not 1 <= len(keys) <= MAX_KEYS:
        raise CryptoError(f"a key set holds 1 to {MAX_KEYS} public keys")
    if not all(isinstance(key, PublicKey) for key in keys):
        raise CryptoError("public_keys must be PublicKey objects")
    if len({key.to_bytes() for key in keys}) != len(keys):
        raise CryptoError("a key set must not list the same public key twice")
    return keys


@dataclass(frozen=True)
class KeySet:
    """A verified key set. Only `verify_key_set` makes one, so holding one means it verified."""

    provider: str
    sequence: int
    issued: dt.date
    verify_key: VerifyKey
    public_keys: tuple[PublicKey, ...]
    digest: str

    @property
    def newest(self) -> PublicKey:
        """The key to seal new referrals to (the first in the list)."""
        return self.public_keys[0]

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Key ids of every listed key, newest first: what an envelope may be sealed to."""
        return tuple(key.key_id for key in self.public_keys)

    def public_key(self, key_id: str) -> PublicKey | None:
        """The listed key with this key id, or None (the envelope went to an unlisted key)."""
        # Key ids are public, so a plain comparison is fine (and safe for any caller string).
        for key in self.public_keys:
            if key.key_id == key_id:
                return key
        return None


def sign_key_set(
    signing_key: SigningKey,
    *,
    provider: str,
    sequence: int,
    issued: dt.date,
    public_keys: Sequence[PublicKey],
) -> bytes:
    """Sign the provider's recipient public keys (newest first); returns the blob to hand over."""
    if not isinstance(signing_key, SigningKey):
        raise CryptoError("signing_key must be a SigningKey")
    if type(sequence) is not int or not 0 <= sequence <= U32_MAX:
        raise CryptoError("sequence is an integer from 0 to 4294967295")
    body = _body(
        _provider_bytes(provider),
        sequence,
        _issued_bytes(issued),
        signing_key.verify_key,
        _check_keys(public_keys),
    )
    return body + signing_key.sign(KEY_SET_CONTEXT, body)


def _digest(body: bytes) -> str:
    return hashlib.sha256(KEY_SET_DIGEST_PREFIX + body).hexdigest()


def _parse(blob: bytes) -> tuple[bytes, KeySet, bytes]:
    """Split into (body, unverified key set, signature); any malformation raises KeySetError."""
    try:
        reader = Reader(bytes(blob))
        if reader.take(len(KEY_SET_MAGIC)) != KEY_SET_MAGIC or reader.u8() != KEY_SET_VERSION:
            raise KeySetError("this is not a version 1 signed key set")
        raw_provider = reader.lp()
        sequence = reader.u32()
        raw_issued = reader.take(DATE_SIZE)
        verify_key = VerifyKey(reader.take(VERIFY_KEY_SIZE))
        count = reader.u8()
        keys = _check_keys([PublicKey(reader.take(PUBLIC_KEY_SIZE)) for _ in range(count)])
        signature = reader.take(SIGNATURE_SIZE)
        reader.end()
        provider = raw_provider.decode("utf-8")
        _provider_bytes(provider)
        issued = dt.date.fromisoformat(raw_issued.decode("ascii"))
        # One canonical byte form: the date must re-encode to exactly the stored bytes.
        if _issued_bytes(issued) != raw_issued:
            raise KeySetError("the key set's issue date is not in canonical form")
    except KeySetError:
        raise
    except (CryptoError, UnicodeDecodeError, ValueError, TypeError):
        raise KeySetError("the key set is malformed") from None
    body = bytes(blob)[: len(blob) - SIGNATURE_SIZE]
    return body, KeySet(provider, sequence, issued, verify_key, keys, _digest(body)), signature


def verify_key_set(blob: bytes, pinned_fingerprint: str) -> KeySet:
    """Parse and verify a key set against the signing key fingerprint pinned in configuration.

    Raises KeySetError unless the blob is well formed, its embedded verify key has exactly the
    pinned fingerprint (constant-time comparison) and both halves of its signature verify.
    """
    try:
        pinned = normalise_fingerprint(pinned_fingerprint)
    except CryptoError:
        raise KeySetError(
            "the pinned signing key fingerprint is not 32 hexadecimal digits; check the "
            "deployment configuration"
        ) from None
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise KeySetError("the key set is malformed")
    body, key_set, signature = _parse(bytes(blob))
    if not hmac.compare_digest(key_set.verify_key.fingerprint_bytes, pinned):
        raise KeySetError("the key set is signed by a key other than the pinned signing key")
    try:
        key_set.verify_key.verify(KEY_SET_CONTEXT, body, signature)
    except CryptoError:
        raise KeySetError("the key set's signature is not valid") from None
    return key_set


def check_successor(current: KeySet, candidate: KeySet) -> None:
    """Refuse a candidate that would roll back or fork the key set already accepted.

    The candidate must be for the same provider and have a higher sequence number, or be the
    same set again (same sequence and digest). Rolling back would make intake seal to a key
    the provider has retired.
    """
    if candidate.provider != current.provider:
        raise KeySetError("the new key set is for a different provider")
    if candidate.sequence == current.sequence:
        if not hmac.compare_digest(candidate.digest, current.digest):
            raise KeySetError("two different key sets carry the same sequence number")
        return
    if candidate.sequence < current.sequence:
        raise KeySetError("the new key set is older than the one already in use")
