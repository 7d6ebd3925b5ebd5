"""The intake database: exactly DESIGN G4's clear metadata, plus ciphertext.

Every column is listed with its reason in tests/models/test_intake_columns.py; a new
column fails that test until someone writes down why the police side may hold it.
Dates only, never a time of day; ids are random, never sequential.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import IntakeBase, random_id


class Recipient(IntakeBase):
    """A provider organisation that can open referrals (it holds the private keys)."""

    __tablename__ = "recipients"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_on: Mapped[date] = mapped_column(Date, default=date.today)
    # The provider's recipient keys as its signing key signed them (crypto.key_set). Verified
    # against the fingerprint pinned in deployment configuration before every seal: this
    # database is not trusted to say which key is the provider's (G2).
    key_set: Mapped[bytes | None] = mapped_column(LargeBinary)

    keys: Mapped[list[RecipientKey]] = relationship(
        back_populates="recipient", order_by="RecipientKey.generation"
    )


class RecipientKey(IntakeBase):
    """One public key of a recipient; new referrals are sealed to the newest generation."""

    __tablename__ = "recipient_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("recipients.id"))
    generation: Mapped[int] = mapped_column(Integer)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    fingerprint: Mapped[str] = mapped_column(String(64))
    added_on: Mapped[date] = mapped_column(Date, default=date.today)

    recipient: Mapped[Recipient] = relationship(back_populates="keys")


class ServiceRoute(IntakeBase):
    """Which recipient receives referrals for a service (IDVA, ISVA, not sure)."""

    __tablename__ = "service_routes"

    service: Mapped[str] = mapped_column(String(16), primary_key=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("recipients.id"))

    recipient: Mapped[Recipient] = relationship()


class Referral(IntakeBase):
    """A sealed referral and its content-free workflow dates."""

    __tablename__ = "referrals"
    __table_args__ = (
        # Covering indexes for the standards tables (app/standards/measures.py), so each
        # period's counts are index-only scans: benchmarks/dashboard.py, docs/benchmarks.md.
        Index(
            "ix_referrals_standards_received",
            "received_on",
            "service",
            "status",
            "acknowledged_on",
            "first_contact_on",
            "urgent",
        ),
        Index("ix_referrals_standards_closed", "closed_on", "received_on", "closure_reason"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    service: Mapped[str] = mapped_column(String(16))
    recipient_id: Mapped[str] = mapped_column(ForeignKey("recipients.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="received")
    received_on: Mapped[date] = mapped_column(Date, default=date.today, index=True)
    delivered_on: Mapped[date | None] = mapped_column(Date)
    acknowledged_on: Mapped[date | None] = mapped_column(Date)
    first_contact_on: Mapped[date | None] = mapped_column(Date)
    contact_made_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    closure_reason: Mapped[str | None] = mapped_column(String(32))
    # The provider's triage flag, reported with the acknowledgement: sets the first-contact
    # target (app/standards/measures.py); None until reported, which means the normal target.
    urgent: Mapped[bool | None] = mapped_column(Boolean)
    # The envelope; deleted once the provider confirms delivery (G4).
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Derived from the reference phrase by Argon2id + HKDF; cannot be reversed to it.
    lookup_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The referrer's own public key. Only a check that a reply is sealed to the referrer: the
    # console seals replies to the copy inside the envelope (v2), never to this column (G2).
    referrer_public_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The phrase holder's proof of their withdrawal and its day (app/authenticity.py): the
    # console acts on a withdrawal only if it verifies (G9).
    withdrawal_proof: Mapped[bytes | None] = mapped_column(LargeBinary)

    messages: Mapped[list[Message]] = relationship(
        back_populates="referral", order_by="Message.position", cascade="all, delete-orphan"
    )


class Message(IntakeBase):
    """A message between referrer and advisor, sealed to whoever must read it."""

    __tablename__ = "messages"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referrals.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(16))  # "referrer" or "advisor"
    sent_on: Mapped[date] = mapped_column(Date, default=date.today)
    delivered_on: Mapped[date | None] = mapped_column(Date)
    # A referrer's message sealed to the provider; deleted after delivery.
    sealed_for_provider: Mapped[bytes | None] = mapped_column(LargeBinary)
    # An advisor's reply, or the referrer's own copy, sealed to the referrer's key.
    sealed_for_referrer: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Place in its author's own sequence (1, 2, 3 ...), bound into its proofs.
    sequence: Mapped[int | None] = mapped_column(Integer)
    # Proof of origin (app/authenticity.py), made where the author holds the shared auth key:
    # over sealed_for_provider for a referrer's message, over sealed_for_referrer for a reply.
    proof: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The referrer's proof over their own copy (sealed_for_referrer), checked on the status page.
    copy_proof: Mapped[bytes | None] = mapped_column(LargeBinary)

    referral: Mapped[Referral] = relationship(back_populates="messages")


class DraftSession(IntakeBase):
    """A browser session's state, sealed under a key that only the browser's cookie holds."""

    __tablename__ = "draft_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    expires_on: Mapped[date] = mapped_column(Date, index=True)


class ApiToken(IntakeBase):
    """A delivery-API bearer token of one recipient; only a hash of its secret is kept."""

    __tablename__ = "api_tokens"

    # Public half of the token (`sr1.<id>.<secret>`): finds the row, proves nothing alone.
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("recipients.id"), index=True)
    # Hex SHA-256 of the secret; the secret itself is printed once and never stored.
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_on: Mapped[date] = mapped_column(Date, default=date.today)
    revoked_on: Mapped[date | None] = mapped_column(Date)

    recipient: Mapped[Recipient] = relationship()


class AuditHead(IntakeBase):
    """A copy of the provider console's audit-chain head, sent with each sync (G8).

    Append-only: intake inserts heads and never updates or deletes one (app/intake/audit_heads.py),
    so the console can check that its own log was not rewritten or cut short since.
    """

    __tablename__ = "audit_heads"

    recipient_id: Mapped[str] = mapped_column(ForeignKey("recipients.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # HMAC-SHA256 (hex) of the console's entry `seq`, under a key intake never holds.
    mac: Mapped[str] = mapped_column(String(64))
