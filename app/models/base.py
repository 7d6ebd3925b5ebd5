"""Declarative bases, one per database, so each app migrates only its own tables."""

from __future__ import annotations

import secrets
import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase


class IntakeBase(DeclarativeBase):
    """Tables of the police-side intake database."""


def random_id() -> str:
    """A random, unguessable public id (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


class ConsoleBase(DeclarativeBase):
    """Tables of the provider console's own database (provider side)."""


@event.listens_for(Engine, "connect")
def _secure_delete(connection: Any, _record: Any) -> None:
    """Both apps' SQLite files overwrite deleted content with zeros, so a purged referral or
    case does not linger in free pages (dpia/dpia.md section 9.1). PostgreSQL: see there."""
    if isinstance(connection, sqlite3.Connection):
        connection.execute("PRAGMA secure_delete=ON")
