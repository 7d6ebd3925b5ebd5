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
