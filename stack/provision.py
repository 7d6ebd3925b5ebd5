"""What the stack needs before any instance starts: databases, secrets, keys, pins, a token.

The provider side is set up as the key ceremony in docs/deploy.md does it (a recipient key
and a signing key made at the console, recovery copies under a recovery key, the signed key
set handed to intake and checked against a pin), only without the people and the phone call.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_console_app, create_intake_app
from app.api import tokens
from app.extensions import console_db
from app.intake import recipients
from app.models.console import KeySetRecord, RecipientKeyRecord, SigningKeyRecord
from crypto.custody import new_recovery_key, wrap_for_recovery, wrap_signing_key_for_recovery
from crypto.key_set import sign_key_set, verify_key_set
from crypto.keys import PrivateKey
from crypto.signing import SigningKey

PROVIDER = "Stack advisor service"
SERVICES = ("idva", "isva", "not_sure")


@dataclass(frozen=True)
class Provisioned:
    pins: str  # PINNED_PROVIDER_KEYS
    api_token: str  # the console's INTAKE_API_TOKEN
    recovery_key_file: Path


def new_secret() -> str:
    return secrets.token_urlsafe(48)


def fresh_database(admin_url: str, name: str) -> str:
    """Drop and create database `name` on the server of `admin_url`; returns its URL."""
    base = sa.engine.make_url(admin_url)
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'drop database if exists "{name}" with (force)'))
            conn.execute(sa.text(f'create database "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    admin = sa.create_engine(sa.engine.make_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'drop database if exists "{name}" with (force)'))
    finally:
        admin.dispose()


def provision(directory: Path, intake_url: str, console_url: str) -> Provisioned:
    """Migrate both databases and give them the provider's keys and the console its token."""
    intake = create_intake_app({"SQLALCHEMY_DATABASE_URI": intake_url})
    console = create_console_app({"SQLALCHEMY_DATABASE_URI": console_url})
    recipient, signer = PrivateKey.generate(), SigningKey.generate()
    recovery_key = new_recovery_key()
    recovery_file = directory / "provider-recovery-key.txt"
    recovery_file.touch(mode=0o600)
    recovery_file.write_text(recovery_key + "\n")
    blob = sign_key_set(
        signer, provider=PROVIDER, sequence=1, issued=date.today(),
        public_keys=[recipient.public_key],
    )
    key_set = verify_key_set(blob, signer.verify_key.fingerprint)
    with console.app_context():
        upgrade(directory=console.extensions["migrate"].directory)
        console_db.session.add(
            RecipientKeyRecord(
                key_id=recipient.key_id,
                generation=1,
                public_key=recipient.public_key.to_bytes(),
                recovery_blob=wrap_for_recovery(recipient, recovery_key),
            )
        )
        console_db.session.add(
            SigningKeyRecord(
                key_id=signer.verify_key.key_id,
                verify_key=signer.verify_key.to_bytes(),
                recovery_blob=wrap_signing_key_for_recovery(signer, recovery_key),
            )
        )
        console_db.session.add(
            KeySetRecord(
                sequence=key_set.sequence, blob=blob, digest=key_set.digest,
                issued_on=key_set.issued, delivered_on=key_set.issued,
            )
        )
        console_db.session.commit()
        console_db.engine.dispose()
    pins = f"{PROVIDER}={signer.verify_key.fingerprint}"
    intake.config["PINNED_PROVIDER_KEYS"] = {PROVIDER: signer.verify_key.fingerprint}
    with intake.app_context():
        upgrade(directory=intake.extensions["migrate"].directory)
        recipients.register(PROVIDER, blob)
        for service in SERVICES:
            recipients.assign(service, PROVIDER)
        token = tokens.issue(PROVIDER)
        intake.extensions["sqlalchemy"].engine.dispose()
    return Provisioned(pins=pins, api_token=token, recovery_key_file=recovery_file)
