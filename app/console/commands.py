"""`flask console ...`: the provider console's operator commands, run on the provider's host.

Accounts, key recovery and the audit check; `purge` (daily, from the provider's scheduler:
closed cases past their retention period, each run audited with its count); and `sync` (one
run for cron or a systemd timer, or `--every SECONDS` in a loop). A sync run that had problems
exits non-zero so a timer unit shows it; the loop keeps going, because the next run repeats
whatever the last one could not finish (G9).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.accounts.links import setup_link
from app.console import accounts, audit, provider_keys, sla
from app.console.blueprint import bp
from app.console.intake_client import IntakeError, client_from_config
from app.console.retention import purge_expired
from app.console.sync import SyncSummary, run_sync
from app.extensions import console_db as db
from app.models.console import Advisor
from crypto.armor import armour
from crypto.errors import RecoveryKeyError
from crypto.keys import PublicKey

console_cli = AppGroup("console", help="Provider console: accounts, keys, sync, audit.")
log = logging.getLogger(__name__)

ACTOR = "command line"
KEY_SET_LABEL = "SIGNED KEY SET"  # the armour label `flask recipients register` reads


def _setup_link(token: str) -> str:
    return setup_link(accounts.BASE_URL, bp.url_prefix or "", token)


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
    click.echo(f"Setup link (one use, valid {accounts.INVITE_HOURS} hours):")
    click.echo(f"  {_setup_link(token)}")
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


@console_cli.command("export-key-set")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_key_set(path: Path) -> None:
    """Write the current signed key set to PATH for `flask recipients register` at intake."""
    current = provider_keys.current_key_set()
    signing = provider_keys.verify_key()
    newest = provider_keys.newest()
    if current is None or signing is None or newest is None:
        raise click.ClickException("There is no signed key set yet: create the provider key")
    # Public keys and a signature only: nothing in the file is secret.
    path.write_text(armour(KEY_SET_LABEL, current.blob))
    click.echo(f"Key set number {current.sequence} written to {path}.")
    click.echo("Read both fingerprints to intake's operator by phone:")
    click.echo(f"  signing key (to pin):  {signing.fingerprint}")
    click.echo(f"  newest recipient key:  {PublicKey.from_bytes(newest.public_key).fingerprint}")


@console_cli.command("verify-audit")
@click.option("--local-only", is_flag=True,
              help="Skip intake's copies of the head (a log cut short then goes unseen).")
def verify_audit(local_only: bool) -> None:
    """Check the audit log's keyed chain against itself and intake's copies of its head.

    Exit 1 if any entry was changed or removed, naming the first point where the chain and
    intake's copies part; exit 2 if intake's copies could not be fetched.
    """
    anchors: list[audit.Head] = []
    if not local_only:
        try:
            anchors = audit.fetch_heads(client_from_config(current_app.config))
        except (IntakeError, ValueError) as error:
            click.echo(f"Could not fetch intake's copies of the audit head: {error}")
            click.echo("Run it again once intake answers, or with --local-only.")
            raise SystemExit(2) from None
    result = audit.verify(db.session, anchors)
    if not result.intact:
        click.echo(f"Audit log broken at entry {result.broken_at}: {result.reason}")
        raise SystemExit(1)
    click.echo(f"Audit log intact: {result.entries} entries, head {result.head}")
    if local_only:
        click.echo("Intake's copies of the head were not checked.")
    else:
        click.echo(f"It matches all {result.anchors} copies of its head that intake holds.")


@console_cli.command("purge")
def purge() -> None:
    """Delete closed cases (notes, messages, outbox too) past their purge date."""
    count = purge_expired(db.session, sla.today())
    click.echo(f"Purged {count} case{'' if count == 1 else 's'} past their retention period.")


@console_cli.command("sync")
@click.option("--every", type=click.IntRange(min=1), metavar="SECONDS",
              help="Keep syncing, waiting this many seconds between runs.")
@click.option("--page-size", type=click.IntRange(1, 500), help="Items per pull request.")
def sync_command(every: int | None, page_size: int | None) -> None:
    """Pull new referrals, messages and withdrawals from intake; push replies and dates."""
    if every is None:
        summary = _run(page_size)
        if summary.errors:
            raise SystemExit(1)
        return
    try:
        while True:
            _run(page_size)
            time.sleep(every)
    except KeyboardInterrupt:
        click.echo("Stopped.")


def _run(page_size: int | None) -> SyncSummary:
    try:
        summary = run_sync(page_size=page_size)
    except Exception as error:  # the loop must survive anything one run meets
        log.error("sync failed (%s)", type(error).__name__)
        return SyncSummary(errors=[f"sync failed ({type(error).__name__})"])
    finally:
        db.session.remove()  # a fresh session per run, however the last one ended
    click.echo(summary.describe())
    return summary


@console_cli.command("dpia")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
def dpia_command(out_dir: Path) -> None:
    """Write the DPIA and its data inventory to OUT_DIR as dpia.html and dpia.pdf."""
    from app import dpia

    out_dir.mkdir(parents=True, exist_ok=True)
    html = dpia.render_html()
    (out_dir / "dpia.html").write_text(html, encoding="utf-8")
    (out_dir / "dpia.pdf").write_bytes(dpia.render_pdf(html))
    click.echo(f"Wrote {out_dir / 'dpia.html'} and {out_dir / 'dpia.pdf'}.")
