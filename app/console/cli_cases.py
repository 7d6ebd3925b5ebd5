"""`flask console purge`: delete closed cases whose retention period has ended (DESIGN 6).

Meant to run daily from the provider's scheduler; each run is audited with its count.
"""

from __future__ import annotations

import click

from app.console import sla
from app.console.cli import console_cli
from app.console.retention import purge_expired
from app.extensions import console_db as db


@console_cli.command("purge")
def purge() -> None:
    """Delete closed cases (notes, messages, outbox too) past their purge date."""
    count = purge_expired(db.session, sla.today())
    click.echo(f"Purged {count} case{'' if count == 1 else 's'} past their retention period.")
