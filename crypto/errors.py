"""Exceptions raised by the crypto package.

Callers catch `DecryptionError` around every open; its message is deliberately the same
whatever went wrong, so an attacker probing with altered blobs learns nothing about which
check failed.
"""


class CryptoError(Exception):
    """Base class: misuse of the API or input that cannot be processed."""


class DecryptionError(CryptoError):
    """Something could not be opened: wrong key, tampering, truncation or a bad format."""

    def __init__(self, message: str = "the data could not be decrypted") -> None:
        super().__init__(message)


class PhraseError(CryptoError, ValueError):
    """A reference phrase was mistyped; the message is safe to show to the person typing it."""


class RecoveryKeyError(CryptoError, ValueError):
    """A recovery key was mistyped; the message is safe to show to the manager typing it."""


class SignatureError(CryptoError):
    """A signature did not verify (either half of the hybrid, or a malformed signature)."""

    def __init__(self, message: str = "the signature is not valid") -> None:
        super().__init__(message)


class KeySetError(CryptoError):
    """A signed recipient key set was refused: malformed, unpinned signer, or bad signature."""
