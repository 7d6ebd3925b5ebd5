"""`flask tokens ...`: issue, list and revoke delivery-API tokens. Secrets are shown once."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.api import tokens

tokens_cli = AppGroup("tokens", help="Delivery API bearer tokens of recipients.")


@tokens_cli.command("issue")
@click.argument("recipient_name")
def issue_command(recipient_name: str) -> None:
    """Issue a new token for the recipient called RECIPIENT_NAME."""
    try:
        token = tokens.issue(recipient_name)
    except tokens.TokenError as error:
        raise click.ClickException(str(error)) from error
    click.echo(token)
    click.echo(
        "Put this token in the provider console's configuration now: only its hash is kept, "
        "so it cannot be shown again.",
        err=True,
    )


@tokens_cli.command("revoke")
@click.argument("token_id")
def revoke_command(token_id: str) -> None:
    """Revoke the token with id TOKEN_ID (the part between the first two dots)."""
    try:
        token = tokens.revoke(token_id)
    except tokens.TokenError as error:
        raise click.ClickException(str(error)) from error
    if token.revoked_on is None:  # revoke() always dates the revocation
        raise click.ClickException(f"Token {token.id} was not marked revoked")
    click.echo(f"Token {token.id} revoked on {token.revoked_on.isoformat()}")


@tokens_cli.command("list")
def list_command() -> None:
    """Show every token's id, recipient and dates (never a secret)."""
    for token in tokens.all_tokens():
        state = f"revoked {token.revoked_on.isoformat()}" if token.revoked_on else "active"
        click.echo(
            f"{token.id}  {token.recipient.name}  created {token.created_on.isoformat()}  {state}"
        )
