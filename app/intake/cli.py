"""`flask recipients ...`: register providers' signed key sets and route services to them.

The provider exports its signed key set from the console (`flask console export-key-set`).
Intake accepts it only if it verifies against the signing key fingerprint pinned for that
provider in PINNED_PROVIDER_KEYS; both fingerprints are printed so the operator can read them
back to the provider by phone (the out-of-band check, DESIGN section 4).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import intake_db as db
from app.intake import recipients, retention
from app.models.intake import Recipient, ServiceRoute
from crypto.armor import dearmour_label
from crypto.errors import CryptoError
from crypto.key_set import KeySet

recipients_cli = AppGroup("recipients", help="Provider key sets and service routing.")
KEY_SET_LABEL = "SIGNED KEY SET"  # the armour label `flask console export-key-set` writes


def _read_key_set(path: Path) -> bytes:
    try:
        return dearmour_label(KEY_SET_LABEL, path.read_text())
    except (CryptoError, ValueError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{path} is not a Safe Referral signed key set file") from error


def _echo_fingerprints(key_set: KeySet) -> None:
    click.echo("Check both fingerprints with the provider by phone:")
    click.echo(f"  signing key (pinned):  {key_set.verify_key.fingerprint}")
    click.echo(f"  newest recipient key:  {key_set.newest.fingerprint}")
    click.echo(
        f"Key set number {key_set.sequence} of {key_set.issued.isoformat()}, "
        f"{len(key_set.public_keys)} key(s); new referrals go to key {key_set.newest.key_id}"
    )


@recipients_cli.command("register")
@click.argument("name")
@click.argument("key_set_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def register_command(name: str, key_set_file: Path) -> None:
    """Register a provider NAME with the signed key set in KEY_SET_FILE."""
    try:
        key_set = recipients.register(name, _read_key_set(key_set_file))
    except recipients.RecipientError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Registered {name}.")
    _echo_fingerprints(key_set)


@recipients_cli.command("rotate")
@click.argument("name")
@click.argument("key_set_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace-unverified", is_flag=True,
              help="Replace a stored key set that no longer verifies (after tampering).")
def rotate_command(name: str, key_set_file: Path, replace_unverified: bool) -> None:
    """Give provider NAME a newer signed key set; new referrals go to its newest key."""
    try:
        key_set = recipients.take_key_set(
            name, _read_key_set(key_set_file), replace_unverified=replace_unverified
        )
    except recipients.RecipientError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Key set for {name} is now number {key_set.sequence}.")
    _echo_fingerprints(key_set)


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
        services = ", ".join(sorted(s for s, n in routes.items() if n == recipient.name)) or "none"
        click.echo(f"{recipient.name}: services {services}")
        try:
            key_set = recipients.vouched(recipient)
        except recipients.KeysNotVouched as refusal:
            click.echo(f"  REFUSING TO SEAL: {refusal}")
            continue
        click.echo(f"  signing key {key_set.verify_key.fingerprint} (pinned)")
        newest = key_set.newest
        click.echo(f"  newest key {newest.key_id}, fingerprint {newest.fingerprint}")
    for service in ("idva", "isva", "not_sure"):
        if service not in routes:
            click.echo(f"Warning: no recipient for {service}; the intake refuses those referrals")


retention_cli = AppGroup("retention", help="Retention at intake (dpia/dpia.md section 9).")


@retention_cli.command("purge")
def purge_command() -> None:
    """Purge what intake no longer needs; safe to run daily from cron, and again."""
    purged = retention.purge(db.session, date.today(), retention.Periods.from_config(
        current_app.config))
    click.echo(f"Purged {purged.describe()}.")
