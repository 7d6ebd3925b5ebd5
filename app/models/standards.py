"""Standards tables in the intake database: DPS analysts, and the frozen releases they see.

Nothing here is about a person who referred: a release holds a protected table (G6), an
export row says which analyst downloaded which period's tables and on which day. Dates only,
never a time of day (G4). The time-bound parts of signing in (failure counts, used codes) live in
the expiring rate-limit store instead (app/accounts/throttle.py), so no row holds a moment.
"""

from __future__ import annotations

from datetime import date

from flask_login import UserMixin
from sqlalchemy import Boolean, Date, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import IntakeBase, random_id

SOURCES = ("intake", "provider")


class Analyst(UserMixin, IntakeBase):
    """A DPS analyst who may read released tables (password + TOTP)."""

    __tablename__ = "analysts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Sealed under a key derived from SECRET_KEY: a database copy alone cannot make codes.
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    invite_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires_on: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_on: Mapped[date] = mapped_column(Date, default=date.today)

    @property
    def is_active(self) -> bool:  # Flask-Login treats an inactive account as signed out
        return self.active


class AnalystSession(IntakeBase):
    """An analyst's session state, sealed under a key that only their cookie holds.

    Kept apart from the referrers' draft sessions: the two areas never share a session.
    """

    __tablename__ = "analyst_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    expires_on: Mapped[date] = mapped_column(Date, index=True)


class Release(IntakeBase):
    """One protected table of one completed period, released once and never revised."""

    __tablename__ = "releases"
    __table_args__ = (
        # Release once: a second version of a table would be something to subtract.
        UniqueConstraint("source", "provider_id", "period", "table_name", name="uq_releases_once"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    source: Mapped[str] = mapped_column(String(16))  # "intake" or "provider"
    # The recipient whose statistical return this is; "" for intake's own tables. Not a
    # foreign key: a released table outlives the provider's registration.
    provider_id: Mapped[str] = mapped_column(String(32), default="")
    period: Mapped[str] = mapped_column(String(16), index=True)  # "2025-26 Q3" or "2025-26"
    table_name: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)  # the protected table as JSON
    released_on: Mapped[date] = mapped_column(Date, default=date.today)
    # The release audit's figures as JSON (app.standards.audit.log_entry): that it ran and
    # passed, over how many figures, and the narrowest interval; None before the audit.
    audit: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)


class Export(IntakeBase):
    """An analyst downloaded one period's released tables (the release log shows these)."""

    __tablename__ = "exports"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    analyst_id: Mapped[str] = mapped_column(ForeignKey("analysts.id"), index=True)
    period: Mapped[str] = mapped_column(String(16))
    file_format: Mapped[str] = mapped_column(String(8))  # "csv" or "json"
    exported_on: Mapped[date] = mapped_column(Date, default=date.today)
