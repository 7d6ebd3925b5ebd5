"""Absolute links (setup links, invitations) from a configured base URL, never from the
request's Host header, which anyone can set (issue 9, item 6).

The console's base is CONSOLE_BASE_URL, the police side's INTAKE_BASE_URL (app/config.py);
production refuses to start without them.
"""

from __future__ import annotations

from flask import current_app

SETUP_PATH = "/setup/"


def external(base_key: str, path: str) -> str:
    """`path` (starting with /) under the configured base URL named by `base_key`."""
    base = str(current_app.config[base_key]).rstrip("/")
    return f"{base}{path}"


def setup_link(base_key: str, prefix: str, token: str) -> str:
    """The full one-time setup link for a surface mounted at `prefix` ("" or "/standards")."""
    return external(base_key, f"{prefix.rstrip('/')}{SETUP_PATH}{token}")
