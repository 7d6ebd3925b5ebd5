"""Console fixtures: a real console app on its own database, a recipient key, and advisors.

`sign_in_as` puts an advisor's unwrapped key into the session exactly as a completed password
+ TOTP sign-in does, so casework and sync tests need not repeat the sign-in pages (the
accounts tests drive the real pages).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from app import create_console_app
from app.extensions import console_db
from app.models.console import (
    Advisor,
    KeyGrant,
    KeySetRecord,
    RecipientKeyRecord,
    SigningKeyRecord,
)
from crypto.custody import (
    grant_recipient_key,
    new_advisor_key,
    new_recovery_key,
    wrap_for_recovery,
    wrap_signing_key_for_recovery,
)
from crypto.key_set import sign_key_set, verify_key_set
from crypto.keyfile import TEST_PARAMS
from crypto.keys import PrivateKey
from crypto.signing import SigningKey

PASSWORD = "correct horse battery staple"
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def console_settings(database_url: str) -> dict[str, object]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "ADVISOR_ARGON2": TEST_PARAMS,
        "RATELIMIT_ENABLED": False,
        "INTAKE_API_URL": "http://127.0.0.1:9/api/v1",
        "INTAKE_API_TOKEN": "",
    }


@pytest.fixture
def console_app(console_database_url: str) -> Iterator[Flask]:
    app = create_console_app(console_settings(console_database_url))
    with app.app_context():
        console_db.drop_all()
        console_db.create_all()
    yield app
    with app.app_context():
        console_db.session.remove()
        console_db.drop_all()
        console_db.engine.dispose()


@dataclass
class ProviderKeys:
    recipient: PrivateKey
    recovery_key: str
    signing: SigningKey
    key_set: bytes  # signed by `signing`, listing `recipient`: what intake registers


def signed_key_set(
    signing: SigningKey, sequence: int, *keys: PrivateKey, provider: str = "Test provider"
) -> KeySetRecord:
    """A console key set row listing `keys` newest first, as provider_keys signs them."""
    blob = sign_key_set(
        signing,
        provider=provider,
        sequence=sequence,
        issued=date.today(),
        public_keys=[key.public_key for key in keys],
    )
    digest = verify_key_set(blob, signing.verify_key.fingerprint).digest
    return KeySetRecord(sequence=sequence, blob=blob, digest=digest, issued_on=date.today())


@pytest.fixture
def provider_keys(console_app: Flask) -> ProviderKeys:
    """The provider's first recipient key and its signing key, made on the provider side."""
    recipient = PrivateKey.generate()
    recovery = new_recovery_key()
    signing = SigningKey.generate()
    with console_app.app_context():
        console_db.session.add(
            RecipientKeyRecord(
                key_id=recipient.public_key.key_id,
                generation=1,
                public_key=recipient.public_key.to_bytes(),
                recovery_blob=wrap_for_recovery(recipient, recovery),
            )
        )
        console_db.session.add(
            SigningKeyRecord(
                key_id=signing.verify_key.key_id,
                verify_key=signing.verify_key.to_bytes(),
                recovery_blob=wrap_signing_key_for_recovery(signing, recovery),
            )
        )
        key_set = signed_key_set(
            signing, 1, recipient, provider=console_app.config["PROVIDER_NAME"]
        )
        console_db.session.add(key_set)
        console_db.session.commit()
        blob = key_set.blob
    return ProviderKeys(recipient, recovery, signing, blob)


@dataclass
class Staff:
    id: str
    email: str
    key: PrivateKey


@pytest.fixture
def make_advisor(console_app: Flask, provider_keys: ProviderKeys) -> Callable[..., Staff]:
    """Create an active account with a password-wrapped key, granted the recipient key."""

    def make(
        email: str = "advisor@provider.test", role: str = "advisor", grant: bool = True
    ) -> Staff:
        with console_app.app_context():
            advisor = Advisor(
                email=email,
                name=email.split("@")[0].title(),
                role=role,
                password_hash=CHEAP_HASHER.hash(PASSWORD),
            )
            console_db.session.add(advisor)
            console_db.session.flush()
            private, wrapped = new_advisor_key(PASSWORD, advisor.id, TEST_PARAMS)
            advisor.public_key = private.public_key.to_bytes()
            advisor.wrapped_key = wrapped.to_bytes()
            if grant:
                recipient = provider_keys.recipient
                console_db.session.add(
                    KeyGrant(
                        advisor_id=advisor.id,
                        key_id=recipient.public_key.key_id,
                        sealed_key=grant_recipient_key(recipient, private.public_key, advisor.id),
                        granted_by="test",
                    )
                )
            console_db.session.commit()
            return Staff(advisor.id, email, private)

    return make


def sign_in_as(client: FlaskClient, staff: Staff) -> FlaskClient:
    """The session state a completed password + TOTP sign-in leaves behind."""
    with client.session_transaction() as session:
        session["_user_id"] = staff.id
        session["_fresh"] = True
        session["advisor_key"] = staff.key.to_bytes().hex()
    return client


@pytest.fixture
def advisor_client(console_app: Flask, make_advisor: Callable[..., Staff]) -> FlaskClient:
    return sign_in_as(console_app.test_client(), make_advisor())
