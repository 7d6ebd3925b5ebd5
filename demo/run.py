"""`make run`: the whole service on one machine, for development and demonstrations.

Embedded SQLite under instance/, a demo provider key generated on first run (its private half
kept in a passphrase-protected file, as a provider would), the intake on 127.0.0.1:5000 and
the provider console on 127.0.0.1:5001, syncing with each other over the delivery API
(demo/console.py). Never used in production: loopback only, development secrets.
"""

from __future__ import annotations

import os
import threading
from contextlib import suppress
from datetime import date
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import make_server

from app import create_intake_app
from app.intake import recipients
from app.web.privacy_logging import QuietRequestHandler
from crypto.armor import armour, dearmour_label
from crypto.key_set import sign_key_set
from crypto.keyfile import protect, unprotect
from crypto.keys import PrivateKey, PublicKey
from crypto.signing import SigningKey
from demo import console as demo_console
from demo import fill as demo_data_fill

HOST = "127.0.0.1"
INTAKE_PORT = int(os.environ.get("INTAKE_PORT", "5000"))
CONSOLE_PORT = int(os.environ.get("CONSOLE_PORT", "5001"))
DEMO_PROVIDER = "Demo advisor service"
DEMO_FUNDED_CAPACITY = {
    "2022-23": 160,
    "2023-24": 170,
    "2024-25": 190,
    "2025-26": 210,
    "2026-27": 220,
}
DEMO_PASSPHRASE = "demo passphrase - development only"  # noqa: S105 - demo key, loopback only
SIGNING_KEY_FILE = "demo-provider-signing-key.txt"
KEY_SET_FILE = "demo-key-set.txt"
KEY_SET_LABEL = "SIGNED KEY SET"


def demo_provider_key(instance: Path) -> PublicKey:
    """The demo provider's public key, generating the key pair on first run."""
    public_file = instance / "demo-provider-public-key.txt"
    if not public_file.exists():
        key = PrivateKey.generate()
        (instance / "demo-provider-private-key.txt").write_text(
            protect(key.to_bytes(), DEMO_PASSPHRASE)
        )
        public_file.write_text(key.public_key.to_text())
    return PublicKey.from_text(public_file.read_text())


def demo_signing_key(instance: Path) -> SigningKey:
    """The demo provider's signing key (passphrase-protected file), made on first run."""
    path = instance / SIGNING_KEY_FILE
    if not path.exists():
        path.write_text(protect(SigningKey.generate().to_bytes(), DEMO_PASSPHRASE))
    return SigningKey.from_bytes(unprotect(path.read_text(), DEMO_PASSPHRASE))


def demo_key_set(instance: Path, public_key: PublicKey) -> bytes:
    """The demo key set, signed once and kept in instance/ so both apps hold the same bytes."""
    path = instance / KEY_SET_FILE
    if not path.exists():
        blob = sign_key_set(
            demo_signing_key(instance),
            provider=DEMO_PROVIDER,
            sequence=1,
            issued=date.today(),
            public_keys=[public_key],
        )
        path.write_text(armour(KEY_SET_LABEL, blob))
    return dearmour_label(KEY_SET_LABEL, path.read_text())


def pin_demo_keys(app: Flask, instance: Path) -> None:
    """Pin the demo signing key in intake's configuration, as a deployment would (G2)."""
    pins = dict(app.config.get("PINNED_PROVIDER_KEYS") or {})
    pins[DEMO_PROVIDER] = demo_signing_key(instance).verify_key.fingerprint
    app.config["PINNED_PROVIDER_KEYS"] = pins


def prepare_intake(app: Flask, public_key: PublicKey, instance: Path | None = None) -> None:
    instance = instance or Path(app.instance_path)
    pin_demo_keys(app, instance)
    key_set = demo_key_set(instance, public_key)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        try:
            routed = recipients.route_for("idva") is not None
        except recipients.KeysNotVouched:
            # An instance from before signed key sets: give it the demo's signed set.
            recipients.take_key_set(DEMO_PROVIDER, key_set, replace_unverified=True)
            routed = True
        if not routed:
            # Registered on an earlier run when only the routes are missing.
            with suppress(recipients.RecipientError):
                recipients.register(DEMO_PROVIDER, key_set)
            for service in ("idva", "isva", "not_sure"):
                recipients.assign(service, DEMO_PROVIDER)


def main() -> None:
    # Funded capacity per financial year, so the demand tables show the commissioning question.
    intake = create_intake_app({"FUNDED_CAPACITY": DEMO_FUNDED_CAPACITY})
    instance = Path(intake.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    prepare_intake(intake, demo_provider_key(instance))
    intake_url = f"http://{HOST}:{INTAKE_PORT}"
    token = demo_console.intake_token(intake, DEMO_PROVIDER)
    console = demo_console.create_console(f"{intake_url}/api/v1", token)
    demo_console.prepare_console(console, instance, DEMO_PASSPHRASE)
    # A fresh instance gets years of synthetic referrals, so the dashboard has figures at once.
    if added := demo_data_fill.fill_fresh_instance(intake, console, instance, DEMO_PASSPHRASE):
        print(added)

    server = make_server(
        HOST, INTAKE_PORT, intake, threaded=True, request_handler=QuietRequestHandler
    )
    console_server = make_server(
        HOST, CONSOLE_PORT, console, threaded=True, request_handler=QuietRequestHandler
    )
    stop = threading.Event()
    threading.Thread(target=console_server.serve_forever, daemon=True).start()
    threading.Thread(target=demo_console.sync_forever, args=(console, stop), daemon=True).start()
    print(f"Safe Referral is running (development mode, demo keys, SQLite in {instance}).")
    print(f"  Intake:           {intake_url}/")
    for line in demo_console.instructions(instance, f"http://{HOST}:{CONSOLE_PORT}"):
        print(line)
    print("Press Ctrl+C to stop.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("Stopped.")
    finally:
        stop.set()
        console_server.shutdown()


if __name__ == "__main__":
    main()
