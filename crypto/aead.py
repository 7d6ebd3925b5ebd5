"""AES-256-GCM with a random nonce, as one blob: nonce (12 bytes) || ciphertext || tag (16)."""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.errors import CryptoError, DecryptionError

KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16


def _cipher(key32: bytes) -> AESGCM:
    if not isinstance(key32, bytes) or len(key32) != KEY_SIZE:
        raise CryptoError("an AES-256-GCM key is exactly 32 bytes")
    return AESGCM(key32)


def wrap(secret: bytes, key32: bytes, aad: bytes) -> bytes:
    """Encrypt `secret` under `key32`, authenticating `aad`; returns nonce || ciphertext."""
    # Random 96-bit nonces are safe here: every key in this package encrypts few messages.
    nonce = secrets.token_bytes(NONCE_SIZE)
    return nonce + _cipher(key32).encrypt(nonce, secret, aad)


def unwrap(blob: bytes, key32: bytes, aad: bytes) -> bytes:
    """Reverse `wrap`; any failure (wrong key, wrong aad, tampering) raises DecryptionError."""
    cipher = _cipher(key32)
    if len(blob) < NONCE_SIZE + TAG_SIZE:
        raise DecryptionError
    try:
        return cipher.decrypt(blob[:NONCE_SIZE], blob[NONCE_SIZE:], aad)
    except (InvalidTag, ValueError, TypeError):
        raise DecryptionError from None
