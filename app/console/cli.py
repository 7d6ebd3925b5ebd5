"""`flask console ...`: the provider console's operator commands."""

from __future__ import annotations

from flask.cli import AppGroup

console_cli = AppGroup("console", help="Provider console: accounts, keys, sync, audit.")

# Commands register on import; each module owns one area.
from app.console import cli_accounts, cli_cases, cli_sync  # noqa: E402, F401
