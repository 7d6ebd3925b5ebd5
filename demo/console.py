"""The console half of `make run` (demo/run.py): the provider console beside the intake.

The demo provider key that intake seals to becomes the console's first recipient key, with a
recovery copy under a demo recovery key kept in instance/ (a real provider makes its key in
the console and keeps the recovery key offline). A manager gets access to it with
`console recover-access`. The console syncs with the intake in a background thread.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from app import create_console_app
from app.api import tokens
from app.console.sync import run_sync
from app.extensions import console_db
from app.models.console import KeySetRecord, RecipientKeyRecord, SigningKeyRecord
from crypto.armor import dearmour_label
from crypto.custody import new_recovery_key, wrap_for_recovery, wrap_signing_key_for_recovery
from crypto.key_set import verify_key_set
from crypto.keyfile import unprotect
from crypto.keys import PrivateKey
from crypto.signing import SigningKey

log = logging.getLogger(__name__)
TOKEN_FILE = "demo-intake-api-token.txt"  # noqa: S105 - a file name, not a secret
RECOVERY_FILE = "demo-recovery-key.txt"


def _private_file(path: Path, text: str) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(text)


def intake_token(intake: Flask, provider: str) -> str:
    """The console's API token, issued once at intake and kept in instance/."""
    path = Path(intake.instance_path) / TOKEN_FILE
    with intake.app_context():
        if path.exists() and tokens.verify(path.read_text().strip()):
            return path.read_text().strip()
        token = tokens.issue(provider)
    _private_file(path, token)
    return token


def create_console(intake_api_url: str, token: str) -> Flask:
    return create_console_app({"INTAKE_API_URL": intake_api_url, "INTAKE_API_TOKEN": token})


def prepare_console(console: Flask, instance: Path, passphrase: str) -> None:
    """Create the console's tables and give it the demo provider key (first run only)."""
    with console.app_context():
        upgrade(directory=console.extensions["migrate"].directory)
        if console_db.session.scalars(select(RecipientKeyRecord)).first():
            _give_signing_key(instance, passphrase)
            return
        key_text = (instance / "demo-provider-private-key.txt").read_text()
        key = PrivateKey.from_bytes(unprotect(key_text, passphrase))
        recovery_key = new_recovery_key()
        console_db.session.add(
            RecipientKeyRecord(
                key_id=key.key_id,
                generation=1,
                public_key=key.public_key.to_bytes(),
                recovery_blob=wrap_for_recovery(key, recovery_key),
            )
        )
        console_db.session.commit()
        _private_file(instance / RECOVERY_FILE, recovery_key + "\n")
        _give_signing_key(instance, passphrase)


def _give_signing_key(instance: Path, passphrase: str) -> None:
    """The demo signing key and the key set it signed (demo/run.py), once; a real provider
    makes them in the console (app/console/provider_keys.py)."""
    if console_db.session.scalars(select(SigningKeyRecord)).first():
        return
    signer = SigningKey.from_bytes(
        unprotect((instance / "demo-provider-signing-key.txt").read_text(), passphrase)
    )
    recovery_key = (instance / RECOVERY_FILE).read_text().strip()
    blob = dearmour_label("SIGNED KEY SET", (instance / "demo-key-set.txt").read_text())
    key_set = verify_key_set(blob, signer.verify_key.fingerprint)
    console_db.session.add(
        SigningKeyRecord(
            key_id=signer.verify_key.key_id,
            verify_key=signer.verify_key.to_bytes(),
            recovery_blob=wrap_signing_key_for_recovery(signer, recovery_key),
        )
    )
    console_db.session.add(
        KeySetRecord(
            sequence=key_set.sequence,
            blob=blob,
            digest=key_set.digest,
            issued_on=key_set.issued,
            delivered_on=key_set.issued,  # registered at intake by demo/run.py
        )
    )
    console_db.session.commit()


def sync_forever(console: Flask, stop: threading.Event) -> None:
    """Sync every SYNC_INTERVAL_SECONDS, as a systemd timer would run `flask console sync`."""
    interval = int(console.config["SYNC_INTERVAL_SECONDS"])
    while not stop.is_set():
        with console.app_context():
            try:
                summary = run_sync()
                if summary.new_cases or summary.new_messages or summary.errors:
                    print(f"Sync: {summary.describe()}")
            except Exception as error:  # the demo must keep running whatever one run meets
                log.error("sync failed (%s)", type(error).__name__)
            finally:
                console_db.session.remove()
        stop.wait(interval)


def instructions(instance: Path, console_url: str) -> list[str]:
    console_cli = ".venv/bin/flask --app 'app:create_console_app' console"
    return [
        f"  Provider console: {console_url}/",
        "To use the console, create the manager account, open the setup link it prints,",
        "then give the manager the demo provider key:",
        # The link is built from CONSOLE_BASE_URL, so it names this run's port.
        f"  CONSOLE_BASE_URL={console_url} {console_cli} create-manager EMAIL NAME",
        f"  {console_cli} recover-access EMAIL   (recovery key: {instance / RECOVERY_FILE})",
    ]
