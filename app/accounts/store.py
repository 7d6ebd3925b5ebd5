"""What the account flow needs from a surface: a small store over its own table.

The provider console implements it for advisors (app/console/accounts.py), the standards
surface for DPS analysts (app/standards/analysts.py). The flow never touches a database
itself; each store is made with its deployment's session (app.extensions.DbSession).
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from crypto.keyfile import Argon2Params


class Account(Protocol):
    """The columns the flow reads. Flask-Login's UserMixin gives the rest."""

    @property
    def id(self) -> str: ...

    @property
    def email(self) -> str: ...

    @property
    def active(self) -> bool: ...

    @property
    def password_hash(self) -> str | None: ...

    @property
    def totp_secret(self) -> bytes | None: ...


A = TypeVar("A", bound=Account)


class AccountStore(Protocol[A]):
    """One surface's accounts."""

    issuer: str  # the name an authenticator app shows beside the codes
    totp_label: bytes  # HKDF info sealing TOTP secrets: a surface's own, so none opens elsewhere

    def argon2_params(self) -> Argon2Params: ...

    def find_by_email(self, email: str) -> A | None: ...

    def get(self, account_id: str) -> A | None: ...

    def for_setup(self, token_hash: str) -> A | None:
        """The account whose unexpired, unused setup link has this hash, if it is active."""
        ...

    def is_set_up(self, account: A) -> bool: ...

    def save_password(self, account: A, password_hash: str, password: str) -> None:
        """Setup step 1: store the hash (the console also makes a key pair under the
        password) and clear any earlier second factor. Commits."""
        ...

    def open_with_password(self, account: A, password: str) -> str | None:
        """After the hash matched: anything the password unlocks, to keep until the code step
        (the console: the advisor's private key, hex), or None. Raises ValueError if the
        password does not open it."""
        ...

    def update_hash(self, account: A, password_hash: str) -> None:
        """The costs were raised since the hash was made: store a new one. Commits."""
        ...

    def claim_step(self, account: A, step: int) -> bool:
        """Use up a TOTP time step; False if it or a later one was used (replay guard)."""
        ...

    def finish_setup(self, account: A, sealed_secret: bytes) -> None:
        """Setup step 2: store the sealed TOTP secret, end the setup link. Commits."""
        ...

    def audit(self, actor: str, action: str, subject: str = "", detail: str = "") -> None:
        """Record a sign-in event where the surface keeps such records (or nowhere)."""
        ...

    def count(self, action: str) -> None:
        """Count an event anyone can cause at will (a failed sign-in) without a record of its
        own, so such events never grow a log without bound (or count nowhere)."""
        ...
