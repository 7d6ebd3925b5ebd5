"""`flask standards ...`: releasing tables and managing analyst accounts (police-side host)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

standards_cli = AppGroup("standards", help="Standards: release tables, analyst accounts.")


@standards_cli.command("release")
def release() -> None:
    """Release every completed period not yet released (safe to run any number of times)."""
    from app.standards.releases import release_due

    made = release_due()
    periods = sorted({r.period for r in made})
    if not periods:
        click.echo("Nothing to release: every completed period is out, or not yet settled.")
        return
    click.echo(f"Released {len(made)} tables for: {', '.join(periods)}")


def _setup_link(token: str) -> str:
    from app.accounts.links import setup_link
    from app.standards.analysts import BASE_URL
    from app.standards.blueprint import bp

    return setup_link(BASE_URL, bp.url_prefix or "", token)


@standards_cli.command("create-analyst")
@click.argument("email")
@click.argument("name")
def create_analyst(email: str, name: str) -> None:
    """Create a DPS analyst account for EMAIL and print its one-time setup link."""
    from app.standards import analysts

    try:
        token = analysts.invite(email, name)
    except analysts.AccountError as error:
        raise click.ClickException(str(error)) from error
    _print_link(analysts.normalise_email(email), token)


@standards_cli.command("reset-analyst")
@click.argument("email")
def reset_analyst(email: str) -> None:
    """A new setup link for EMAIL (forgotten password, lost phone); the old sign-in stops."""
    from app.standards import analysts

    try:
        token = analysts.reset(email)
    except analysts.AccountError as error:
        raise click.ClickException(str(error)) from error
    _print_link(analysts.normalise_email(email), token)


@standards_cli.command("deactivate-analyst")
@click.argument("email")
def deactivate_analyst(email: str) -> None:
    """Stop EMAIL signing in, at once (a signed-in session ends on its next request)."""
    from app.standards import analysts

    try:
        analysts.deactivate(email)
    except analysts.AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{email} can no longer sign in.")


def _print_link(email: str, token: str) -> None:
    from flask import current_app

    days = current_app.config["ANALYST_INVITE_DAYS"]
    click.echo(f"Analyst account ready to set up for {email}.")
    click.echo(f"Setup link (one use, valid {days} days):")
    click.echo(f"  {_setup_link(token)}")
    click.echo("Pass it on securely: whoever opens it first sets the password.")
