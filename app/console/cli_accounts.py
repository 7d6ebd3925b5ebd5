"""`flask console ...` account, recovery and audit commands, run on the provider's host."""

from __future__ import annotations

import click

from app.console import accounts, audit, provider_keys
from app.console.cli import console_cli
from app.extensions import console_db as db
from app.models.console import Advisor
from crypto.errors import RecoveryKeyError

ACTOR = "command line"


def _setup_link(token: str) -> str:
    return f"/setup/{token}"


def _account(email: str) -> Advisor:
    advisor = accounts.find_by_email(email)
    if advisor is None:
        raise click.ClickException(f"There is no account for {email}")
    return advisor


@console_cli.command("create-manager")
@click.argument("email")
@click.argument("name")
def create_manager(email: str, name: str) -> None:
    """Create a manager account for EMAIL and print its one-time setup link."""
    try:
        token = accounts.invite(email, name, "manager", ACTOR)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Manager account created for {accounts.normalise_email(email)}.")
    click.echo(f"Setup link (one use, valid {accounts.INVITE_HOURS} hours), after the console's")
    click.echo(f"address: {_setup_link(token)}")
    click.echo("Pass it on securely: whoever opens it first sets the password.")


@console_cli.command("reset-sign-in")
@click.argument("email")
def reset_sign_in(email: str) -> None:
    """Give EMAIL a new setup link (forgotten password, lost phone). Removes their access."""
    token = accounts.reset_sign_in(_account(email), ACTOR)
    click.echo(
        f"Setup link for {email} (valid {accounts.INVITE_HOURS} hours): {_setup_link(token)}"
    )
    click.echo("Their access was removed: grant it again, or run recover-access, once set up.")


@console_cli.command("recover-access")
@click.argument("email")
@click.option(
    "--recovery-key",
    prompt="Recovery key",
    hide_input=True,
    help="Leave out to be asked without echo (a key given here stays in shell history).",
)
def recover_access(email: str, recovery_key: str) -> None:
    """Grant the provider key(s) to EMAIL using the offline recovery key."""
    try:
        generations = provider_keys.recover_access(_account(email), recovery_key, ACTOR)
    except RecoveryKeyError as error:
        raise click.ClickException(str(error)) from error
    except provider_keys.CustodyError as error:
        raise click.ClickException(str(error)) from error
    opened = ", ".join(map(str, generations))
    click.echo(f"{email} now holds key generation(s) {opened}.")
    missing = [r.generation for r in provider_keys.records() if r.generation not in generations]
    if missing:
        click.echo(
            "Not opened by this recovery key: generation(s) "
            + ", ".join(map(str, missing))
            + ". Run again with the recovery key shown when each was made."
        )


@console_cli.command("verify-audit")
def verify_audit() -> None:
    """Check the audit log's hash chain; exit 1 if any entry was changed or removed."""
    result = audit.verify(db.session)
    if result.intact:
        click.echo(f"Audit log intact: {result.entries} entries, head {result.head}")
        return
    click.echo(f"Audit log broken at entry {result.broken_at}: {result.reason}")
    raise SystemExit(1)
