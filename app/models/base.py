"""Declarative bases, one per database, so each app migrates only its own tables."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import DeclarativeBase


class IntakeBase(DeclarativeBase):
    """Tables of the police-side intake database."""


def random_id() -> str:
    """A random, unguessable public id (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


class ConsoleBase(DeclarativeBase):
    """Tables of the provider console's own database (provider side)."""
