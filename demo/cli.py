"""`flask --app 'app:create_intake_app' demo-data`: the synthetic history, on demand.

`make run` adds it by itself to a fresh instance; this command is for an instance that
started empty, or with other database URLs. The defaults are `make run`'s: the console
database from CONSOLE_DATABASE_URL or instance/console.sqlite, the demo provider key in
instance/ and the demo passphrase. Both apps must have been set up by `make run` first.
"""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app import create_console_app
from app.config import console_config
from app.extensions import console_db
from crypto.errors import CryptoError
from crypto.keyfile import unprotect
from crypto.keys import PrivateKey
from demo import fill as demo_data_fill
from demo import history as demo_data
from demo.run import DEMO_PASSPHRASE


@click.command("demo-data")
@click.option("--console-database-url", help="The console's database (default: make run's).")
@click.option(
    "--key-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The provider's passphrase-protected private key (default: make run's demo key).",
)
@click.option(
    "--passphrase", envvar="DEMO_PASSPHRASE", default=DEMO_PASSPHRASE, show_default=False,
    help="The key file's passphrase (default: the demo passphrase).",
)
@click.option("--scale", type=click.FloatRange(0.01, 20), default=1.0, show_default=True,
              help="Referrals per year, as a multiple of the demo's usual numbers.")
@click.option("--seed", type=int, default=demo_data.DEFAULT_SEED, show_default=True)
@with_appcontext
def demo_data_command(
    console_database_url: str | None,
    key_file: Path | None,
    passphrase: str,
    scale: float,
    seed: int,
) -> None:
    """Fill intake and the console with years of synthetic referrals (demo instances only)."""
    intake = current_app._get_current_object()  # type: ignore[attr-defined]
    key_file = key_file or Path(intake.instance_path) / demo_data_fill.PRIVATE_KEY_FILE
    if not key_file.exists():
        raise click.ClickException(f"No key file at {key_file}: start `make run` once first.")
    try:
        key = PrivateKey.from_bytes(unprotect(key_file.read_text(), passphrase))
    except CryptoError:
        raise click.ClickException("The key file does not open with that passphrase.") from None
    url = console_database_url or console_config()["SQLALCHEMY_DATABASE_URI"]
    console = create_console_app({"SQLALCHEMY_DATABASE_URI": url})
    started = time.perf_counter()
    try:
        filled = demo_data_fill.fill(intake, console, key, scale=scale, seed=seed)
    except demo_data_fill.DemoDataError as error:
        raise click.ClickException(str(error)) from None
    finally:
        with console.app_context():  # no pooled connection left behind to block anyone
            console_db.engine.dispose()
    if filled is None:
        click.echo(
            f"Nothing to do: there are already referrals from before {demo_data_fill.MARKER_DAY}, "
            "so this instance has its demo history."
        )
        return
    click.echo(f"Added {filled.describe()} in {time.perf_counter() - started:.1f} s.")
