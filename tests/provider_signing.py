"""Providers at intake as in production: a signing key pinned in intake's configuration and a
recipient key set it signed (DESIGN G2). Call inside the intake app's context."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from flask import current_app

from app.intake import recipients
from crypto.key_set import sign_key_set
from crypto.keys import PublicKey
from crypto.signing import SigningKey


def pin(name: str, signer: SigningKey) -> None:
    """Pin `signer` for provider `name` in the running app's deployment configuration."""
    pins = dict(current_app.config.get("PINNED_PROVIDER_KEYS") or {})
    current_app.config["PINNED_PROVIDER_KEYS"] = {**pins, name: signer.verify_key.fingerprint}


def signed(
    signer: SigningKey, name: str, public_keys: Sequence[PublicKey], sequence: int = 1
) -> bytes:
    """A key set listing `public_keys` (newest first), as the console would sign it."""
    return sign_key_set(
        signer, provider=name, sequence=sequence, issued=date.today(), public_keys=public_keys
    )


def register_signed(
    name: str, *public_keys: PublicKey, signer: SigningKey | None = None
) -> SigningKey:
    """Register provider `name` with its keys signed by a pinned signing key; returns it."""
    signer = signer or SigningKey.generate()
    pin(name, signer)
    recipients.register(name, signed(signer, name, public_keys))
    return signer
