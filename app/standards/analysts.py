"""DPS analyst accounts: setup links, Argon2id passwords, TOTP, lockout (DESIGN 1, G8).

Like the console's advisor accounts, with what the police side needs and no more: analysts
hold no keys (there is nothing for them to decrypt), so a password here is only a login hash.
The time-bound parts (lockout, used codes) are in guard.py; the codes themselves in
app.two_factor. Every refusal says the same thing whatever was wrong, and costs the same
Argon2id time, so neither the words nor the timing show whether an account exists.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from datetime import date, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select

from app import two_factor
from app.extensions import intake_db as db
from app.models.standards import Analyst
from app.standards import guard
from crypto.errors import DecryptionError
from crypto.keyfile import Argon2Params

ISSUER = "Safe Referral standards"
_KEY_INFO = b"safe-referral/v1/standards-totp-secret"  # apart from the console's label
MIN_PASSWORD = 12
MAX_PASSWORD = 256
WRONG_DETAILS = "The email address or password is not right"
WRONG_CODE = (
    "The code is not right or has already been used. Wait for your app to show a new code "
    "and enter that"
)


class AccountError(ValueError):
    """A request about an account that cannot be done; the message is safe to show."""


class SignInRefused(Exception):
    def __init__(self, message: str, locked: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.locked = locked


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> Analyst | None:
    query = select(Analyst).where(func.lower(Analyst.email) == normalise_email(email))
    return db.session.scalars(query).first()


def is_set_up(analyst: Analyst) -> bool:
    return bool(analyst.password_hash and analyst.totp_secret and analyst.invite_hash is None)


def locked_message() -> str:
    minutes = current_app.config["ANALYST_LOCKOUT_MINUTES"]
    return (
        "This account is locked because of too many failed sign-in attempts. "
        f"Try again in {minutes} minutes"
    )


# --- passwords -------------------------------------------------------------------------------


def _params() -> Argon2Params:
    return current_app.config["ANALYST_ARGON2"].validate()


def _hasher() -> PasswordHasher:
    p = _params()
    return PasswordHasher(
        time_cost=p.time_cost, memory_cost=p.memory_kib, parallelism=p.parallelism
    )


@cache
def _dummy_hash(params: Argon2Params) -> str:
    hasher = PasswordHasher(params.time_cost, params.memory_kib, params.parallelism)
    return hasher.hash(secrets.token_urlsafe(16))


def _burn_time(password: str) -> None:
    with contextlib.suppress(VerificationError):
        _hasher().verify(_dummy_hash(_params()), password)


def password_problem(password: str, email: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"Password must be {MIN_PASSWORD} characters or more"
    if len(password) > MAX_PASSWORD:
        return f"Password must be {MAX_PASSWORD} characters or fewer"
    if password.strip().lower() == normalise_email(email):
        return "Password must not be your email address"
    return None


# --- setup links ------------------------------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue_invite(analyst: Analyst) -> str:
    token = secrets.token_urlsafe(32)
    analyst.invite_hash = _hash_token(token)
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
        db.session.add(analyst)
    analyst.name = name.strip()
    token = _issue_invite(analyst)
    db.session.commit()
    return token


def reset(email: str) -> str:
    """A new setup link for a forgotten password or a lost phone; the old sign-in stops."""
    analyst = find_by_email(email)
    if analyst is None:
        raise AccountError(f"There is no analyst account for {email}")
    analyst.password_hash = analyst.totp_secret = None
    analyst.active = True
    token = _issue_invite(analyst)
    guard.unlock(analyst.id)
    guard.forget_codes(analyst.id, two_factor.current_step())
    db.session.commit()
    return token


def deactivate(email: str) -> None:
    analyst = find_by_email(email)
    if analyst is None:
        raise AccountError(f"There is no analyst account for {email}")
    analyst.active = False
    db.session.commit()


def for_setup(token: str) -> Analyst | None:
    if not token or len(token) > 100:
        return None
    query = select(Analyst).where(Analyst.invite_hash == _hash_token(token))
    analyst = db.session.scalars(query).first()
    if analyst is None or analyst.invite_expires_on is None:
        return None
    if analyst.invite_expires_on < date.today() or not analyst.active:
        return None
    return analyst


def choose_password(analyst: Analyst, password: str) -> None:
    problem = password_problem(password, analyst.email)
    if problem:
        raise AccountError(problem)
    analyst.password_hash = _hasher().hash(password)
    analyst.totp_secret = None
    db.session.commit()


def finish_setup(analyst: Analyst, secret: str, code: str) -> bool:
    """Confirm the authenticator app with a current code; the account becomes usable."""
    step = two_factor.matching_step(secret, code, None)
    if not analyst.password_hash or step is None or not guard.claim_step(analyst.id, step):
        return False
    analyst.totp_secret = two_factor.seal_secret(
        secret, current_app.config["SECRET_KEY"], analyst.id, _KEY_INFO
    )
    analyst.invite_hash = analyst.invite_expires_on = None
    guard.unlock(analyst.id)
    db.session.commit()
    return True


def provisioning_uri(secret: str, email: str) -> str:
    return two_factor.provisioning_uri(secret, email, ISSUER)


# --- signing in --------------------------------------------------------------------------------


def check_password(email: str, password: str) -> Analyst:
    """Step 1 of 2. Raises SignInRefused, saying nothing about which part was wrong."""
    analyst = find_by_email(email)
    if analyst is None or not analyst.active or not is_set_up(analyst):
        _burn_time(password)
        raise SignInRefused(WRONG_DETAILS)
    if guard.is_locked(analyst.id):
        _burn_time(password)  # checking the real hash would let timing say if it matched
        raise SignInRefused(locked_message(), locked=True)
    hasher = _hasher()
    try:
        hasher.verify(analyst.password_hash or "", password)
    except (VerificationError, InvalidHashError):
        raise _failure(analyst, WRONG_DETAILS) from None
    if hasher.check_needs_rehash(analyst.password_hash or ""):
        analyst.password_hash = hasher.hash(password)
        db.session.commit()
    return analyst


def check_code(analyst_id: str, code: str) -> Analyst:
    """Step 2 of 2: a TOTP code never used before. Success clears the failure count."""
    analyst = db.session.get(Analyst, analyst_id)
    if analyst is None or not analyst.active or not is_set_up(analyst):
        raise SignInRefused(WRONG_DETAILS)
    if guard.is_locked(analyst.id):
        raise SignInRefused(locked_message(), locked=True)
    try:
        secret = two_factor.open_secret(
            analyst.totp_secret or b"", current_app.config["SECRET_KEY"], analyst.id, _KEY_INFO
        )
    except DecryptionError:
        raise SignInRefused(
            "Your security codes cannot be checked. Ask for a new setup link"
        ) from None
    step = two_factor.matching_step(secret, code, None)
    if step is None or not guard.claim_step(analyst.id, step):
        raise _failure(analyst, WRONG_CODE)
    guard.clear_failures(analyst.id)
    return analyst


def _failure(analyst: Analyst, message: str) -> SignInRefused:
    if guard.record_failure(analyst.id):
        return SignInRefused(locked_message(), locked=True)
    return SignInRefused(message)
