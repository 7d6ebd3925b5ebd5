"""`make run`'s console half: the demo provider key becomes the console's recipient key."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import select

from app.api import tokens
from app.extensions import console_db
from app.models.console import RecipientKeyRecord
from crypto.custody import open_with_recovery
from crypto.keyfile import unprotect
from crypto.keys import PrivateKey
from demo import console as demo_console
from demo import run as demo
from tests.provider_signing import register_signed


def test_the_demo_gives_the_console_the_key_intake_seals_to_with_a_working_recovery_copy(
    console_app: Flask, tmp_path: Path
) -> None:
    public = demo.demo_provider_key(tmp_path)
    demo.demo_key_set(tmp_path, public)  # make run writes the signing key and key set first
    with console_app.app_context():
        console_db.drop_all()  # the demo builds its database with the real migrations

    demo_console.prepare_console(console_app, tmp_path, demo.DEMO_PASSPHRASE)
    demo_console.prepare_console(console_app, tmp_path, demo.DEMO_PASSPHRASE)  # a second run

    with console_app.app_context():
        record = console_db.session.scalars(select(RecipientKeyRecord)).one()
    assert (record.key_id, record.generation, record.public_key) == (
        public.key_id, 1, public.to_bytes()
    )
    recovery_key = (tmp_path / demo_console.RECOVERY_FILE).read_text().strip()
    opened = open_with_recovery(record.recovery_blob, recovery_key, record.key_id)
    private_text = (tmp_path / "demo-provider-private-key.txt").read_text()
    assert opened == PrivateKey.from_bytes(unprotect(private_text, demo.DEMO_PASSPHRASE))
    assert (tmp_path / demo_console.RECOVERY_FILE).stat().st_mode & 0o077 == 0


def test_the_demo_issues_the_consoles_api_token_once_and_keeps_it_private(
    app: Flask, tmp_path: Path
) -> None:
    app.instance_path = str(tmp_path)
    with app.app_context():
        register_signed(demo.DEMO_PROVIDER, PrivateKey.generate().public_key)

    first = demo_console.intake_token(app, demo.DEMO_PROVIDER)
    again = demo_console.intake_token(app, demo.DEMO_PROVIDER)

    assert first == again
    with app.app_context():
        assert tokens.verify(first) is not None
        assert len(tokens.all_tokens()) == 1
    assert (tmp_path / demo_console.TOKEN_FILE).stat().st_mode & 0o077 == 0
