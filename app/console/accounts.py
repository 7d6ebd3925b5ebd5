"""Advisor accounts: invitations, passwords, the second factor and lockout (G8).

Every rule about who may sign in lives here, so the pages and the command line share one
implementation. A password does two separate jobs: Argon2id login hash (argon2-cffi) and,
through a different derivation in crypto.custody, the key that unwraps the advisor's own
private key. The password is never stored; the unwrapped key only in the split session.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, or_, select, update

from app.console import totp
from app.console.audit import record
from app.console.provider_keys import revoke_access
from app.extensions import console_db as db
from app.models.console import Advisor, utcnow
from crypto.custody import WrappedAdvisorKey, new_advisor_key, unwrap_advisor_key
from crypto.errors import DecryptionError
from crypto.keyfile import Argon2Params
from crypto.keys import PrivateKey

INVITE_HOURS = 72
MIN_PASSWORD = 12
MAX_PASSWORD = 256
ROLES = ("advisor", "manager")
WRONG_DETAILS = "The email address or password is not right"
WRONG_CODE = (
    "The code is not right or has already been used. Wait for your app to show a new code "
    "and enter that"
)


class AccountError(ValueError):
    """Something a manager or advisor asked for cannot be done; the message is safe to show."""


class SignInRefused(Exception):
    """A sign-in step failed; the message is safe to show and says nothing about which part."""

    def __init__(self, message: str, locked: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.locked = locked


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> Advisor | None:
    return db.session.scalars(
        select(Advisor).where(func.lower(Advisor.email) == normalise_email(email))
    ).first()


def is_set_up(advisor: Advisor) -> bool:
    """Password, key pair and second factor all in place, and no setup link outstanding."""
    return bool(
        advisor.password_hash
        and advisor.wrapped_key
        and advisor.public_key
        and advisor.totp_secret
        and advisor.invite_hash is None
    )


def is_locked(advisor: Advisor) -> bool:
    return advisor.locked_until is not None and advisor.locked_until > utcnow()


def status(advisor: Advisor) -> str:
    """One word for the team page."""
    if not advisor.active:
        return "Deactivated"
    if not is_set_up(advisor):
        return "Invited"
    return "Locked" if is_locked(advisor) else "Active"


# --- passwords -----------------------------------------------------------------------------


def _params() -> Argon2Params:
    return current_app.config["ADVISOR_ARGON2"].validate()


def password_hasher() -> PasswordHasher:
    params = _params()
    return PasswordHasher(
        time_cost=params.time_cost, memory_cost=params.memory_kib, parallelism=params.parallelism
    )


@cache
def _dummy_hash(params: Argon2Params) -> str:
    hasher = PasswordHasher(params.time_cost, params.memory_kib, params.parallelism)
    return hasher.hash(secrets.token_urlsafe(16))


def _burn_time(password: str) -> None:
    """Spend what a real check costs, so response time says nothing about the account."""
    with contextlib.suppress(VerificationError):
        password_hasher().verify(_dummy_hash(_params()), password)


def password_problem(password: str, email: str) -> str | None:
    """What is wrong with a new password, in words to show, or None."""
    if len(password) < MIN_PASSWORD:
        return f"Password must be {MIN_PASSWORD} characters or more"
    if len(password) > MAX_PASSWORD:
        return f"Password must be {MAX_PASSWORD} characters or fewer"
    if password.strip().lower() == normalise_email(email):
        return "Password must not be your email address"
    return None


# --- invitations and setup -----------------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue_invite(advisor: Advisor) -> str:
    token = secrets.token_urlsafe(32)
    advisor.invite_hash = _hash_token(token)
    advisor.invite_expires = utcnow() + timedelta(hours=INVITE_HOURS)
    return token


def invite(email: str, name: str, role: str, actor: str) -> str:
    """Create (or re-invite) an account; returns the one-time setup token. Audited."""
    if role not in ROLES:
        raise AccountError("Choose a role")
    advisor = find_by_email(email)
    if advisor is not None and (is_set_up(advisor) or not advisor.active):
        raise AccountError("There is already an account for this email address")
    if advisor is None:
        advisor = Advisor(email=normalise_email(email))
        db.session.add(advisor)
    advisor.name, advisor.role = name.strip(), role
    token = _issue_invite(advisor)
    record(db.session, actor, "invite", advisor.email, f"role {role}")
    return token


def advisor_for_setup(token: str) -> Advisor | None:
    """The account a setup link belongs to, if the link is still valid."""
    if not token or len(token) > 100:
        return None
    advisor = db.session.scalars(
        select(Advisor).where(Advisor.invite_hash == _hash_token(token))
    ).first()
    if advisor is None or advisor.invite_expires is None or advisor.invite_expires < utcnow():
        return None
    return advisor if advisor.active else None


def choose_password(advisor: Advisor, password: str) -> None:
    """Set the login hash and a new key pair wrapped under the password (setup step 1)."""
    problem = password_problem(password, advisor.email)
    if problem:
        raise AccountError(problem)
    _, wrapped = new_advisor_key(password, advisor.id, _params())
    advisor.password_hash = password_hasher().hash(password)
    advisor.public_key = wrapped.public_key
    advisor.wrapped_key = wrapped.to_bytes()
    advisor.totp_secret = None
    db.session.commit()


def finish_setup(advisor: Advisor, secret: str, code: str) -> bool:
    """Confirm the authenticator app with a current code; the account becomes usable."""
    if not advisor.password_hash:
        return False
    step = totp.matching_step(secret, code, None)
    if step is None:
        return False
    advisor.totp_secret = totp.seal_secret(secret, current_app.config["SECRET_KEY"], advisor.id)
    advisor.totp_last_step = step
    advisor.invite_hash = None
    advisor.invite_expires = None
    advisor.failed_logins = 0
    advisor.locked_until = None
    record(db.session, advisor.email, "setup_complete", advisor.email)
    return True


# --- signing in ----------------------------------------------------------------------------


def check_password(email: str, password: str) -> tuple[Advisor, PrivateKey]:
    """Step 1: the advisor and their unwrapped private key, or SignInRefused."""
    advisor = find_by_email(email)
    if advisor is None or not advisor.active or not is_set_up(advisor):
        _burn_time(password)
        actor = advisor.email if advisor else "unknown account"
        record(db.session, actor, "sign_in_failed", "", "no usable account")
        raise SignInRefused(WRONG_DETAILS)
    if is_locked(advisor):
        # Checking the real hash here would let response times reveal whether it matched.
        _burn_time(password)
        record(db.session, advisor.email, "sign_in_refused", advisor.email, "locked")
        raise SignInRefused(locked_message(), locked=True)
    hasher = password_hasher()
    try:
        hasher.verify(advisor.password_hash or "", password)
        key = unwrap_advisor_key(
            WrappedAdvisorKey.from_bytes(advisor.wrapped_key or b""), password, advisor.id
        )
    except (VerificationError, InvalidHashError, DecryptionError):
        raise _failure(advisor, "password") from None
    if hasher.check_needs_rehash(advisor.password_hash or ""):
        advisor.password_hash = hasher.hash(password)  # costs were raised since it was set
        db.session.commit()
    return advisor, key


def check_code(advisor_id: str, code: str) -> Advisor:
    """Step 2: the TOTP code. On success the account's failure count starts again."""
    advisor = db.session.get(Advisor, advisor_id)
    if advisor is None or not advisor.active or not is_set_up(advisor):
        raise SignInRefused(WRONG_DETAILS)
    if is_locked(advisor):
        raise SignInRefused(locked_message(), locked=True)
    try:
        secret = totp.open_secret(
            advisor.totp_secret or b"", current_app.config["SECRET_KEY"], advisor.id
        )
    except DecryptionError:
        # Only a changed SECRET_KEY does this; no code can ever match, so say what will help.
        raise SignInRefused(
            "Your security codes cannot be checked. Ask your manager for a new setup link"
        ) from None
    step = totp.matching_step(secret, code, advisor.totp_last_step)
    if step is None or not _claim_step(advisor, step):
        raise _failure(advisor, "code")
    advisor.failed_logins = 0
    advisor.locked_until = None
    record(db.session, advisor.email, "sign_in", advisor.email)
    return advisor


def _claim_step(advisor: Advisor, step: int) -> bool:
    # One conditional UPDATE, so two requests racing with the same code cannot both win.
    claimed = db.session.execute(
        update(Advisor)
        .where(Advisor.id == advisor.id)
        .where(or_(Advisor.totp_last_step.is_(None), Advisor.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        advisor.totp_last_step = step
    return bool(claimed)


def locked_message() -> str:
    minutes = current_app.config["LOCKOUT_MINUTES"]
    return (
        "This account is locked because of too many failed sign-in attempts. Try again in "
        f"{minutes} minutes, or ask your manager to unlock it"
    )


def _failure(advisor: Advisor, stage: str) -> SignInRefused:
    """Count a failure (password or code alike) and lock the account at the limit."""
    db.session.execute(
        update(Advisor)
        .where(Advisor.id == advisor.id)
        .values(failed_logins=func.coalesce(Advisor.failed_logins, 0) + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(advisor)
    record(db.session, advisor.email, "sign_in_failed", advisor.email, f"wrong {stage}")
    if advisor.failed_logins < current_app.config["LOGIN_ATTEMPTS_BEFORE_LOCKOUT"]:
        return SignInRefused(WRONG_CODE if stage == "code" else WRONG_DETAILS)
    minutes = current_app.config["LOCKOUT_MINUTES"]
    advisor.locked_until = utcnow() + timedelta(minutes=minutes)
    advisor.failed_logins = 0  # once the lock ends, the next attempts are counted afresh
    record(db.session, "system", "locked", advisor.email, f"{minutes} minutes")
    return SignInRefused(locked_message(), locked=True)


# --- manager actions -----------------------------------------------------------------------


def unlock(advisor: Advisor, actor: str) -> None:
    advisor.locked_until = None
    advisor.failed_logins = 0
    record(db.session, actor, "unlock", advisor.email)


def deactivate(advisor: Advisor, actor: str) -> None:
    """No sign-in and no keys, at once (Flask-Login treats an inactive account as signed out)."""
    revoke_access(advisor, actor)
    advisor.active = False
    record(db.session, actor, "deactivate", advisor.email)


def reactivate(advisor: Advisor, actor: str) -> None:
    advisor.active = True
    record(db.session, actor, "reactivate", advisor.email)


def reset_sign_in(advisor: Advisor, actor: str) -> str:
    """For a forgotten password or a lost phone: new setup link, new key pair, no grants.

    Grants are sealed to the old key pair, which nobody can open without the old password,
    so they go; the manager grants access again once the advisor has set up.
    """
    revoke_access(advisor, actor)
    advisor.password_hash = advisor.wrapped_key = advisor.public_key = None
    advisor.totp_secret = advisor.totp_last_step = advisor.locked_until = None
    advisor.failed_logins = 0
    advisor.active = True
    token = _issue_invite(advisor)
    record(db.session, actor, "reset_sign_in", advisor.email)
    return token
