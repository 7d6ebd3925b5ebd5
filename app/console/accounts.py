"""Advisor accounts: the console's account store, invitations and the manager's actions (G8).

Signing in, passwords, codes and throttling are app.accounts, shared with the standards
surface; this module is the console's side of it: the `advisors` table as an AccountStore,
and what a manager (or the command line) does to accounts. A password does two separate
jobs here: the Argon2id login hash and, through a different derivation in crypto.custody,
the key that unwraps the advisor's own private key. The password is never stored; the
unwrapped key only in the split session.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import CursorResult

from app.accounts import passwords, throttle
from app.accounts.flow import AccountError
from app.accounts.passwords import normalise_email
from app.console import audit
from app.console.provider_keys import revoke_access
from app.extensions import DbSession, console_db
from app.models.console import Advisor, utcnow
from crypto.custody import WrappedAdvisorKey, new_advisor_key, unwrap_advisor_key
from crypto.errors import DecryptionError
from crypto.keyfile import Argon2Params

__all__ = [
    "INVITE_HOURS",
    "ROLES",
    "STORE",
    "AccountError",
    "AdvisorStore",
    "normalise_email",
]

INVITE_HOURS = 72
ROLES = ("advisor", "manager")
BASE_URL = "CONSOLE_BASE_URL"


class AdvisorStore:
    """The console's advisors as an app.accounts AccountStore, over the console's session."""

    issuer = "Safe Referral console"
    # A fixed context keeps this key apart from every other use of SECRET_KEY; unchanged
    # since before the move, so secrets sealed earlier still open.
    totp_label = b"safe-referral/v1/console-totp-secret"

    def __init__(self, session: DbSession) -> None:
        self.session = session

    def argon2_params(self) -> Argon2Params:
        params: Argon2Params = current_app.config["ADVISOR_ARGON2"]
        return params

    def find_by_email(self, email: str) -> Advisor | None:
        query = select(Advisor).where(func.lower(Advisor.email) == normalise_email(email))
        return self.session.scalars(query).first()

    def get(self, account_id: str) -> Advisor | None:
        return self.session.get(Advisor, account_id)

    def for_setup(self, token_hash: str) -> Advisor | None:
        advisor = self.session.scalars(
            select(Advisor).where(Advisor.invite_hash == token_hash)
        ).first()
        if advisor is None or advisor.invite_expires is None or advisor.invite_expires < utcnow():
            return None
        return advisor if advisor.active else None

    def is_set_up(self, account: Advisor) -> bool:
        """Password, key pair and second factor all in place, and no setup link outstanding."""
        return bool(
            account.password_hash
            and account.wrapped_key
            and account.public_key
            and account.totp_secret
            and account.invite_hash is None
        )

    def save_password(self, account: Advisor, password_hash: str, password: str) -> None:
        """The login hash and a new key pair wrapped under the password (setup step 1)."""
        _, wrapped = new_advisor_key(password, account.id, self.argon2_params())
        account.password_hash = password_hash
        account.public_key = wrapped.public_key
        account.wrapped_key = wrapped.to_bytes()
        account.totp_secret = None
        self.session.commit()

    def open_with_password(self, account: Advisor, password: str) -> str | None:
        try:
            key = unwrap_advisor_key(
                WrappedAdvisorKey.from_bytes(account.wrapped_key or b""), password, account.id
            )
        except DecryptionError as error:
            raise ValueError("the password does not open the advisor's key") from error
        return key.to_bytes().hex()

    def update_hash(self, account: Advisor, password_hash: str) -> None:
        account.password_hash = password_hash
        self.session.commit()

    def claim_step(self, account: Advisor, step: int) -> bool:
        # One conditional UPDATE, so two requests racing with the same code cannot both win.
        result = self.session.execute(
            update(Advisor)
            .where(Advisor.id == account.id)
            .where(or_(Advisor.totp_last_step.is_(None), Advisor.totp_last_step < step))
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        )
        claimed = isinstance(result, CursorResult) and result.rowcount > 0
        if claimed:
            account.totp_last_step = step
        return claimed

    def finish_setup(self, account: Advisor, sealed_secret: bytes) -> None:
        account.totp_secret = sealed_secret
        account.invite_hash = None
        account.invite_expires = None
        self.audit(account.email, "setup_complete", account.email)

    def audit(self, actor: str, action: str, subject: str = "", detail: str = "") -> None:
        audit.record(self.session, actor, action, subject, detail)

    def count(self, action: str) -> None:
        audit.tally(self.session, action)


STORE = AdvisorStore(console_db.session)


def find_by_email(email: str) -> Advisor | None:
    return STORE.find_by_email(email)


def status(advisor: Advisor) -> str:
    """One word for the team page."""
    if not advisor.active:
        return "Deactivated"
    return "Active" if STORE.is_set_up(advisor) else "Invited"


# --- invitations and the manager's actions ------------------------------------------------------


def _issue_invite(advisor: Advisor) -> str:
    token = passwords.new_token()
    advisor.invite_hash = passwords.token_hash(token)
    advisor.invite_expires = utcnow() + timedelta(hours=INVITE_HOURS)
    return token


def invite(email: str, name: str, role: str, actor: str) -> str:
    """Create (or re-invite) an account; returns the one-time setup token. Audited."""
    if role not in ROLES:
        raise AccountError("Choose a role")
    advisor = find_by_email(email)
    if advisor is not None and (STORE.is_set_up(advisor) or not advisor.active):
        raise AccountError("There is already an account for this email address")
    if advisor is None:
        advisor = Advisor(email=normalise_email(email))
        STORE.session.add(advisor)
    advisor.name, advisor.role = name.strip(), role
    token = _issue_invite(advisor)
    STORE.audit(actor, "invite", advisor.email, f"role {role}")
    return token


def deactivate(advisor: Advisor, actor: str) -> None:
    """No sign-in and no keys, at once (Flask-Login treats an inactive account as signed out)."""
    revoke_access(advisor, actor)
    advisor.active = False
    STORE.audit(actor, "deactivate", advisor.email)


def reactivate(advisor: Advisor, actor: str) -> None:
    advisor.active = True
    STORE.audit(actor, "reactivate", advisor.email)


def reset_sign_in(advisor: Advisor, actor: str) -> str:
    """For a forgotten password or a lost phone: new setup link, new key pair, no grants.

    Grants are sealed to the old key pair, which nobody can open without the old password,
    so they go; the manager grants access again once the advisor has set up.
    """
    revoke_access(advisor, actor)
    advisor.password_hash = advisor.wrapped_key = advisor.public_key = None
    advisor.totp_secret = advisor.totp_last_step = None
    advisor.active = True
    token = _issue_invite(advisor)
    throttle.reset(advisor.email)
    STORE.audit(actor, "reset_sign_in", advisor.email)
    return token
