"""The provider console's database. Case content stays sealed here too (G2): opening it needs
an advisor's password-unwrapped key (+2FA) or the provider's offline recovery key.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import ConsoleBase, random_id

CASE_STATUSES = ("new", "open", "closed")
CASE_SOURCES = ("online", "phone", "email")


def utcnow() -> datetime:
    """Naive UTC: SQLite keeps no time zone, so every stored time is UTC by convention."""
    return datetime.now(UTC).replace(tzinfo=None)


class Advisor(UserMixin, ConsoleBase):
    """A provider account: an advisor, or the manager who grants and revokes access."""

    __tablename__ = "advisors"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16), default="advisor")  # "advisor" | "manager"
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # TOTP secret wrapped under a key derived from SECRET_KEY: useless without the config.
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # refuses replayed codes
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)  # under the password
    invite_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires: Mapped[datetime | None] = mapped_column(DateTime)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    grants: Mapped[list[KeyGrant]] = relationship(back_populates="advisor")

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active


class RecipientKeyRecord(ConsoleBase):
    """A recipient key generation: public half in clear, private half only wrapped."""

    __tablename__ = "recipient_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    recovery_blob: Mapped[bytes] = mapped_column(LargeBinary)  # under the offline recovery key
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class KeyGrant(ConsoleBase):
    """A recipient private key sealed to one advisor's public key; deleting it revokes."""

    __tablename__ = "key_grants"
    __table_args__ = (UniqueConstraint("advisor_id", "key_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    advisor_id: Mapped[str] = mapped_column(ForeignKey("advisors.id"), index=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("recipient_keys.key_id"))
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)
    granted_by: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    advisor: Mapped[Advisor] = relationship(back_populates="grants")


class SigningKeyRecord(ConsoleBase):
    """The provider's signing key: verify key in clear, signing key only in custody (G2)."""

    __tablename__ = "signing_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    verify_key: Mapped[bytes] = mapped_column(LargeBinary)
    recovery_blob: Mapped[bytes] = mapped_column(LargeBinary)  # under the offline recovery key
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SigningKeyGrant(ConsoleBase):
    """The signing key sealed to one advisor's public key; deleting it revokes."""

    __tablename__ = "signing_key_grants"
    __table_args__ = (UniqueConstraint("advisor_id", "key_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    advisor_id: Mapped[str] = mapped_column(ForeignKey("advisors.id"), index=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("signing_keys.key_id"))
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)
    granted_by: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class KeySetRecord(ConsoleBase):
    """A signed recipient key set (crypto.key_set); the highest sequence is the one in use."""

    __tablename__ = "key_sets"

    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    issued_on: Mapped[date] = mapped_column(Date)
    # Set once intake has accepted it through the delivery API (or None: still to push).
    delivered_on: Mapped[date | None] = mapped_column(Date)


class Case(ConsoleBase):
    """A referral on the provider side; its content stays sealed to a recipient key."""

    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    source: Mapped[str] = mapped_column(String(16), default="online")
    service: Mapped[str] = mapped_column(String(16), index=True)
    received_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    assigned_to: Mapped[str | None] = mapped_column(ForeignKey("advisors.id"), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    referrer_public_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Learned when an advisor first opens the case (sync cannot decrypt): shortens the SLA.
    urgent: Mapped[bool | None] = mapped_column(Boolean)
    # Learnt with `urgent`: False when the referrer gave no contact details (phrase only), so
    # no first contact is due. None until known.
    contactable: Mapped[bool | None] = mapped_column(Boolean)
    acknowledged_on: Mapped[date | None] = mapped_column(Date)
    first_contact_on: Mapped[date | None] = mapped_column(Date)
    contact_made_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    closure_reason: Mapped[str | None] = mapped_column(String(32))
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    purge_after: Mapped[date | None] = mapped_column(Date)
    # A withdrawal intake reported, held until someone with a key checks the phrase holder's
    # proof (the sync holds no key): only then is the case marked withdrawn (G9).
    withdrawal_claimed_on: Mapped[date | None] = mapped_column(Date)
    withdrawal_proof: Mapped[bytes | None] = mapped_column(LargeBinary)

    assignee: Mapped[Advisor | None] = relationship()
    notes: Mapped[list[CaseNote]] = relationship(
        back_populates="case", order_by="CaseNote.written_at", cascade="all, delete-orphan"
    )
    messages: Mapped[list[CaseMessage]] = relationship(
        back_populates="case", order_by="CaseMessage.position", cascade="all, delete-orphan"
    )


class CaseNote(ConsoleBase):
    """An advisor's case note, sealed to the newest recipient key."""

    __tablename__ = "case_notes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("advisors.id"))
    written_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)

    case: Mapped[Case] = relationship(back_populates="notes")
    author: Mapped[Advisor] = relationship()


class CaseMessage(ConsoleBase):
    """A message in the conversation with the referrer; sealed to a recipient key."""

    __tablename__ = "case_messages"
    # The sync and advisors' replies both add to a thread: a race must fail, not reorder it.
    __table_args__ = (UniqueConstraint("case_id", "position"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(16))  # "referrer" | "advisor"
    advisor_id: Mapped[str | None] = mapped_column(ForeignKey("advisors.id"))
    sent_on: Mapped[date] = mapped_column(Date)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # The author's place in their own sequence and their proof of origin (app/authenticity.py):
    # the referrer's as it came through intake, or the one made here for a reply.
    sequence: Mapped[int | None] = mapped_column(Integer)
    proof: Mapped[bytes | None] = mapped_column(LargeBinary)
    # None until someone with a key first checks a referrer's message; False when its proof
    # failed, so the refusal is audited once and the message is never shown.
    genuine: Mapped[bool | None] = mapped_column(Boolean)

    case: Mapped[Case] = relationship(back_populates="messages")


class OutboxItem(ConsoleBase):
    """A reply or workflow event waiting to be pushed to intake (at least once, idempotent)."""

    __tablename__ = "outbox"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # idempotency key
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    method: Mapped[str] = mapped_column(String(8), default="PUT")
    path: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)  # JSON; replies are sealed to the referrer
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)


class AuditEntry(ConsoleBase):
    """One link of the append-only, hash-chained audit log (G8)."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(255))
    detail: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64))


class AuditTally(ConsoleBase):
    """Today's count of one action anyone can cause (an anonymous failed sign-in); chained
    into the audit log as one entry once the day is over (app/console/audit.py `tally`)."""

    __tablename__ = "audit_tallies"

    action: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class ConsoleSession(ConsoleBase):
    """A console browser session; holds the advisor's unwrapped key, sealed to the cookie."""

    __tablename__ = "console_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    expires_on: Mapped[date] = mapped_column(Date, index=True)
