"""`flask console sync`: one run (for cron or a systemd timer), or `--every SECONDS` in a loop.

Exits non-zero when a run had problems, so a timer unit shows the failure; the loop keeps
going, because the next run repeats whatever the last one could not finish (G9).
"""

from __future__ import annotations

import logging
import time

import click

from app.console.cli import console_cli
from app.console.sync import SyncSummary, run_sync
from app.extensions import console_db as db

log = logging.getLogger(__name__)


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
