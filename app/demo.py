"""`make run`: the whole service on one machine, for development and demonstrations.

Embedded SQLite under instance/, a demo provider key generated on first run (its private half
kept in a passphrase-protected file, as a provider would), the intake on 127.0.0.1:5000 and
the provider console on 127.0.0.1:5001, syncing with each other over the delivery API
(app/demo_console.py). Never used in production: loopback only, development secrets.
"""

from __future__ import annotations

import os
import threading
from contextlib import suppress
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import make_server

from app import create_intake_app, demo_console, demo_data_fill
from app.intake import recipients
from app.privacy_logging import QuietRequestHandler
from crypto.keyfile import protect
from crypto.keys import PrivateKey, PublicKey

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


def prepare_intake(app: Flask, public_key: PublicKey) -> None:
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        if recipients.route_for("idva") is None:
            # Registered on an earlier run when only the routes are missing.
            with suppress(recipients.RecipientError):
                recipients.register(DEMO_PROVIDER, public_key)
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
