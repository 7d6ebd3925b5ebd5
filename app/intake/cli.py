"""`flask recipients ...`: register provider public keys and route services to them."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import intake_db as db
from app.intake import recipients
from app.models.intake import Recipient, ServiceRoute
from crypto.errors import CryptoError
from crypto.keys import PublicKey

recipients_cli = AppGroup("recipients", help="Provider public keys and service routing.")


def _read_key(path: Path) -> PublicKey:
    try:
        return PublicKey.from_text(path.read_text())
    except (CryptoError, ValueError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{path} is not a Safe Referral public key file") from error


@recipients_cli.command("register")
@click.argument("name")
@click.argument("public_key_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def register_command(name: str, public_key_file: Path) -> None:
    """Register a provider NAME with the public key in PUBLIC_KEY_FILE."""
    try:
        key = recipients.register(name, _read_key(public_key_file))
    except recipients.RecipientError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Registered {name}. Key id {key.key_id}")
    click.echo(f"Fingerprint (check it with the provider by phone): {key.fingerprint}")


@recipients_cli.command("rotate")
@click.argument("name")
@click.argument("public_key_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def rotate_command(name: str, public_key_file: Path) -> None:
    """Give provider NAME a new public key; new referrals are sealed to it."""
    try:
        key = recipients.rotate(name, _read_key(public_key_file))
    except recipients.RecipientError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"New key for {name} (generation {key.generation}). Key id {key.key_id}")
    click.echo(f"Fingerprint (check it with the provider by phone): {key.fingerprint}")


@recipients_cli.command("assign")
@click.argument("service", type=click.Choice(["idva", "isva", "not_sure"]))
@click.argument("name")
def assign_command(service: str, name: str) -> None:
    """Send referrals for SERVICE to provider NAME."""
    try:
        recipients.assign(service, name)
    except recipients.RecipientError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Referrals for {service} now go to {name}")


@recipients_cli.command("list")
def list_command() -> None:
    """Show recipients, their newest key and the services routed to them."""
    routes = {
        route.service: route.recipient.name for route in db.session.scalars(select(ServiceRoute))
    }
    for recipient in db.session.scalars(select(Recipient).order_by(Recipient.name)):
        newest = recipient.keys[-1] if recipient.keys else None
        services = ", ".join(sorted(s for s, n in routes.items() if n == recipient.name)) or "none"
        click.echo(f"{recipient.name}: services {services}")
        if newest:
            click.echo(f"  newest key {newest.key_id} (generation {newest.generation})")
            click.echo(f"  fingerprint {newest.fingerprint}")
    for service in ("idva", "isva", "not_sure"):
        if service not in routes:
            click.echo(f"Warning: no recipient for {service}; the intake refuses those referrals")
