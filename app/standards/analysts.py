"""DPS analyst accounts: the standards surface's account store and its commands (DESIGN 1, G8).

Signing in, passwords, codes and throttling are app.accounts, shared with the console; this
is the `analysts` table as an AccountStore, plus creating, resetting and deactivating
analysts from the command line. Analysts hold no keys (there is nothing for them to
decrypt), so a password here is only a login hash. The intake database holds no time of day
(G4), so used codes are remembered as expiring keys in the rate-limit store, and a setup link
is valid to the end of a day.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from app.accounts import passwords, throttle, totp
from app.accounts.flow import AccountError
from app.accounts.passwords import normalise_email
from app.extensions import DbSession, intake_db
from app.models.standards import Analyst
from crypto.keyfile import Argon2Params

__all__ = ["STORE", "AccountError", "AnalystStore", "normalise_email"]

BASE_URL = "INTAKE_BASE_URL"
USED_CODE_SECONDS = 4 * totp.STEP_SECONDS  # outlives the three steps a code is accepted in


def _owner(analyst_id: str) -> str:
    return f"analyst:{analyst_id}"


class AnalystStore:
    """The standards surface's analysts as an app.accounts AccountStore, over the intake
    database's session."""

    issuer = "Safe Referral standards"
    totp_label = b"safe-referral/v1/standards-totp-secret"  # apart from the console's label

    def __init__(self, session: DbSession) -> None:
        self.session = session

    def argon2_params(self) -> Argon2Params:
        params: Argon2Params = current_app.config["ANALYST_ARGON2"]
        return params

    def find_by_email(self, email: str) -> Analyst | None:
        query = select(Analyst).where(func.lower(Analyst.email) == normalise_email(email))
        return self.session.scalars(query).first()

    def get(self, account_id: str) -> Analyst | None:
        return self.session.get(Analyst, account_id)

    def for_setup(self, token_hash: str) -> Analyst | None:
        query = select(Analyst).where(Analyst.invite_hash == token_hash)
        analyst = self.session.scalars(query).first()
        if analyst is None or analyst.invite_expires_on is None:
            return None
        if analyst.invite_expires_on < date.today() or not analyst.active:
            return None
        return analyst

    def is_set_up(self, account: Analyst) -> bool:
        return bool(account.password_hash and account.totp_secret and account.invite_hash is None)

    def save_password(self, account: Analyst, password_hash: str, password: str) -> None:
        account.password_hash = password_hash
        account.totp_secret = None
        self.session.commit()

    def open_with_password(self, account: Analyst, password: str) -> str | None:
        return None  # an analyst's password unlocks nothing but the sign-in

    def update_hash(self, account: Analyst, password_hash: str) -> None:
        account.password_hash = password_hash
        self.session.commit()

    def claim_step(self, account: Analyst, step: int) -> bool:
        return throttle.claim_code_step(_owner(account.id), step, USED_CODE_SECONDS)

    def finish_setup(self, account: Analyst, sealed_secret: bytes) -> None:
        account.totp_secret = sealed_secret
        account.invite_hash = account.invite_expires_on = None
        self.session.commit()

    def audit(self, actor: str, action: str, subject: str = "", detail: str = "") -> None:
        return None  # the police side keeps no sign-in log (G4); downloads are logged instead

    def count(self, action: str) -> None:
        return None  # nor a count: the throttle's expiring keys are all there is


STORE = AnalystStore(intake_db.session)


def find_by_email(email: str) -> Analyst | None:
    return STORE.find_by_email(email)


def is_set_up(analyst: Analyst) -> bool:
    return STORE.is_set_up(analyst)


# --- the command line's actions -------------------------------------------------------------------


def _issue_invite(analyst: Analyst) -> str:
    token = passwords.new_token()
    analyst.invite_hash = passwords.token_hash(token)
    # A date, not a time (G4): valid to the end of the last day.
    analyst.invite_expires_on = date.today() + timedelta(
        days=current_app.config["ANALYST_INVITE_DAYS"]
    )
    return token


def invite(email: str, name: str) -> str:
    """Create an analyst account (or renew an unused link); returns the one-time setup token."""
    if not email.strip() or "@" not in email or not name.strip():
        raise AccountError("Give an email address and a name")
    analyst = find_by_email(email)
    if analyst is not None and (is_set_up(analyst) or not analyst.active):
        raise AccountError("There is already an account for this email address")
    if analyst is None:
        analyst = Analyst(email=normalise_email(email))
        STORE.session.add(analyst)
    analyst.name = name.strip()
    token = _issue_invite(analyst)
    STORE.session.commit()
    return token


def reset(email: str) -> str:
    """A new setup link for a forgotten password or a lost phone; the old sign-in stops."""
    analyst = find_by_email(email)
    if analyst is None:
        raise AccountError(f"There is no analyst account for {email}")
    analyst.password_hash = analyst.totp_secret = None
    analyst.active = True
    token = _issue_invite(analyst)
    throttle.reset(analyst.email)
    throttle.forget_code_steps(_owner(analyst.id), totp.current_step())
    STORE.session.commit()
    return token


def deactivate(email: str) -> None:
    analyst = find_by_email(email)
    if analyst is None:
        raise AccountError(f"There is no analyst account for {email}")
    analyst.active = False
    STORE.session.commit()
