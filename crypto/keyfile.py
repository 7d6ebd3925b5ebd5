"""Secrets protected by a passphrase (provider private-key files, advisor key wrapping).

Text format: armour labelled `ENCRYPTED <label>` around
    "SRK" || version (1 byte) || time_cost || memory_kib || parallelism (u32 each)
    || salt (16) || nonce (12) || AES-256-GCM ciphertext and tag
with key = Argon2id(passphrase, salt) and AAD = everything before the nonce || lp(label).
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass

from argon2.exceptions import HashingError
from argon2.low_level import ARGON2_VERSION, Type, hash_secret_raw

from crypto._encoding import Reader, lp, u32
from crypto.aead import unwrap, wrap
from crypto.armor import armour, check_label, dearmour
from crypto.errors import CryptoError, DecryptionError

__all__ = [
    "DEFAULT_PARAMS",
    "TEST_PARAMS",
    "Argon2Params",
    "argon2id",
    "protect",
    "unprotect",
    "unwrap",
    "wrap",
]

KEYFILE_MAGIC = b"SRK"
KEYFILE_VERSION = 1
SALT_SIZE = 16
ENCRYPTED_PREFIX = "ENCRYPTED "

# OWASP Password Storage Cheat Sheet rows that keep at least 19 MiB of memory: memory hardness
# is what costs a GPU attacker, so the cheaper low-memory/high-time rows are not accepted.
OWASP_MINIMUMS = ((19456, 2), (47104, 1))  # (memory_kib, time_cost)
# Upper bounds stop a crafted key file from making us allocate or spin without limit.
MAX_MEMORY_KIB = 4 * 1024 * 1024
MAX_TIME_COST = 64
MAX_PARALLELISM = 64


@dataclass(frozen=True)
class Argon2Params:
    """Argon2id cost; the defaults are RFC 9106's second recommended option (64 MiB, t=3, p=4)."""

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 4
    # Only TEST_PARAMS turn this off; production code never should.
    minimum_enforced: bool = True

    def validate(self) -> Argon2Params:
        """Raise CryptoError unless usable (and, unless exempted, at least OWASP strength)."""
        self.check_bounds()
        if self.minimum_enforced and not any(
            self.memory_kib >= memory and self.time_cost >= time for memory, time in OWASP_MINIMUMS
        ):
            raise CryptoError(
                "Argon2id parameters are below the OWASP minimum "
                "(at least 19456 KiB with time_cost 2, or 47104 KiB with time_cost 1)"
            )
        return self

    def check_bounds(self) -> None:
        """Structural sanity only (what Argon2 accepts, capped against denial of service)."""
        values = (self.time_cost, self.memory_kib, self.parallelism)
        if any(type(v) is not int for v in values):
            raise CryptoError("Argon2id parameters must be integers")
        if not (
            1 <= self.time_cost <= MAX_TIME_COST
            and 1 <= self.parallelism <= MAX_PARALLELISM
            and 8 * self.parallelism <= self.memory_kib <= MAX_MEMORY_KIB
        ):
            raise CryptoError("Argon2id parameters are out of range")


DEFAULT_PARAMS = Argon2Params()
# Deliberately weak so tests run fast. Never use outside tests.
TEST_PARAMS = Argon2Params(time_cost=1, memory_kib=8, parallelism=1, minimum_enforced=False)


def argon2id(secret: bytes, salt: bytes, params: Argon2Params, length: int = 32) -> bytes:
    """Raw Argon2id (version 0x13) output; `params` must already be validated by the caller."""
    params.check_bounds()
    try:
        return hash_secret_raw(
            secret=secret,
            salt=salt,
            time_cost=params.time_cost,
            memory_cost=params.memory_kib,
            parallelism=params.parallelism,
            hash_len=length,
            type=Type.ID,
            version=ARGON2_VERSION,
        )
    except HashingError:
        raise CryptoError("Argon2id failed") from None


def _passphrase_bytes(passphrase: str) -> bytes:
    if not isinstance(passphrase, str):
        raise CryptoError("a passphrase is text")
    try:
        # NFC so the same passphrase typed on different keyboards/OSes gives the same bytes.
        return unicodedata.normalize("NFC", passphrase).encode("utf-8")
    except UnicodeEncodeError:
        raise CryptoError("the passphrase is not valid Unicode text") from None


def _header(params: Argon2Params, salt: bytes) -> bytes:
    return (
        KEYFILE_MAGIC
        + bytes([KEYFILE_VERSION])
        + u32(params.time_cost)
        + u32(params.memory_kib)
        + u32(params.parallelism)
        + salt
    )


def protect(
    secret: bytes,
    passphrase: str,
    params: Argon2Params = DEFAULT_PARAMS,
    *,
    label: str = "PRIVATE KEY",
) -> str:
    """Encrypt `secret` under `passphrase`; returns armoured text safe to store on disk."""
    check_label(ENCRYPTED_PREFIX + label)
    params.validate()
    if not passphrase:
        raise CryptoError("a passphrase is required")
    salt = secrets.token_bytes(SALT_SIZE)
    header = _header(params, salt)
    key = argon2id(_passphrase_bytes(passphrase), salt, params)
    body = header + wrap(bytes(secret), key, header + lp(label.encode("ascii")))
    return armour(ENCRYPTED_PREFIX + label, body)


def unprotect(text: str, passphrase: str, *, expected_label: str | None = None) -> bytes:
    """Reverse `protect`. Wrong passphrase, tampering or a damaged file -> DecryptionError."""
    try:
        full_label, body = dearmour(text)
    except CryptoError:
        raise DecryptionError from None
    if not full_label.startswith(ENCRYPTED_PREFIX):
        raise DecryptionError
    label = full_label.removeprefix(ENCRYPTED_PREFIX)
    if expected_label is not None and label != expected_label:
        raise DecryptionError
    reader = Reader(body)
    if reader.take(3) != KEYFILE_MAGIC or reader.u8() != KEYFILE_VERSION:
        raise DecryptionError
    # The stored costs are trusted only within bounds; the AAD authenticates them afterwards.
    params = Argon2Params(reader.u32(), reader.u32(), reader.u32(), minimum_enforced=False)
    salt = reader.take(SALT_SIZE)
    wrapped = reader.rest()
    try:
        params.check_bounds()
        key = argon2id(_passphrase_bytes(passphrase), salt, params)
    except CryptoError:
        raise DecryptionError from None
    return unwrap(wrapped, key, _header(params, salt) + lp(label.encode("ascii")))
