"""The password rule, Argon2id login hashes and setup-link tokens, for every staff account.

Argon2id (argon2-cffi) with at least RFC 9106's second recommended parameters; each surface
passes its own (its store's `argon2_params`), so tests can run cheaply. An unknown email costs
a verify against a dummy hash made with the same parameters, so response time says nothing
about whether an account exists.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from crypto.keyfile import Argon2Params

MIN_PASSWORD = 12
MAX_PASSWORD = 256
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 100


def normalise_email(email: str) -> str:
    return email.strip().lower()


def password_problem(password: str, email: str) -> str | None:
    """What is wrong with a new password, in words to show, or None. The one rule."""
    if len(password) < MIN_PASSWORD:
        return f"Password must be {MIN_PASSWORD} characters or more"
    if len(password) > MAX_PASSWORD:
        return f"Password must be {MAX_PASSWORD} characters or fewer"
    if password.strip().lower() == normalise_email(email):
        return "Password must not be your email address"
    return None


def hasher(params: Argon2Params) -> PasswordHasher:
    params = params.validate()
    return PasswordHasher(
        time_cost=params.time_cost, memory_cost=params.memory_kib, parallelism=params.parallelism
    )


def hash_password(password: str, params: Argon2Params) -> str:
    return hasher(params).hash(password)


def verify(password_hash: str | None, password: str, params: Argon2Params) -> bool:
    """True if the password matches; a missing or malformed hash costs a dummy verify."""
    if not password_hash:
        burn_time(password, params)
        return False
    try:
        return hasher(params).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, params: Argon2Params) -> bool:
    """True when the costs were raised since this hash was made."""
    return hasher(params).check_needs_rehash(password_hash)


@cache
def _dummy_hash(params: Argon2Params) -> str:
    return hasher(params).hash(secrets.token_urlsafe(16))


def burn_time(password: str, params: Argon2Params) -> None:
    """Spend what a real check costs, so response time says nothing about the account."""
    with contextlib.suppress(VerificationError, InvalidHashError):
        hasher(params).verify(_dummy_hash(params), password)


def new_token() -> str:
    """A one-time setup token; only `token_hash` of it is ever stored."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def plausible_token(token: str) -> bool:
    return bool(token) and len(token) <= MAX_TOKEN_LENGTH
