"""Signing in, choosing a password and setting up the second factor, over any AccountStore.

Every refusal of the password step says the same words and costs the same Argon2id time
whatever was wrong, and the throttle counts by the address typed, so neither the page, its
timing nor the waiting says whether an account exists. Nothing locks: see `throttle`.
"""

from __future__ import annotations

from flask import current_app

from app.accounts import passwords, throttle, totp
from app.accounts.store import A, AccountStore
from crypto.errors import DecryptionError

WRONG_DETAILS = "The email address or password is not right"
WRONG_CODE = (
    "The code is not right or has already been used. Wait for your app to show a new code "
    "and enter that"
)


class AccountError(ValueError):
    """Something asked of an account cannot be done; the message is safe to show."""


class SignInRefused(Exception):
    """A sign-in step failed; the message is safe to show and says nothing about which part.

    `wait` is set when the client must wait before trying again (seconds).
    """

    def __init__(self, message: str, wait: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.wait = wait


def wait_message(seconds: int) -> str:
    if seconds < 60:
        amount = f"{seconds} second{'' if seconds == 1 else 's'}"
    else:
        minutes = -(-seconds // 60)
        amount = f"{minutes} minute{'' if minutes == 1 else 's'}"
    return f"There have been too many attempts. Wait {amount}, then try again"


def _refuse_if_waiting(email: str) -> None:
    wait = throttle.wait_seconds(email)
    if wait:
        raise SignInRefused(wait_message(wait), wait=wait)


def _failed(store: AccountStore[A], account: A | None, email: str) -> None:
    """Count a failure. Failures are tallied, not recorded one by one, and only a per-account
    summary is audited, once per window, so failed attempts (at unknown addresses above all)
    never grow an audit log without bound."""
    total = throttle.record_failure(email)
    settings = throttle.Settings.from_config()
    store.count("sign_in_failed" if account is not None else "sign_in_failed_unknown")
    if account is not None and total == settings.budget:
        store.audit(
            "system",
            "sign_in_throttled",
            account.email,
            f"{total} failed attempts within {settings.window // 60} minutes",
        )


def check_password(store: AccountStore[A], email: str, password: str) -> tuple[A, str | None]:
    """Step 1: the account and what its password unlocks, or SignInRefused."""
    email = passwords.normalise_email(email)
    params = store.argon2_params()
    _refuse_if_waiting(email)
    account = store.find_by_email(email)
    if account is None or not account.active or not store.is_set_up(account):
        passwords.burn_time(password, params)
        _failed(store, None, email)
        raise SignInRefused(WRONG_DETAILS)
    try:
        if not passwords.verify(account.password_hash, password, params):
            raise ValueError("wrong password")
        unlocked = store.open_with_password(account, password)
    except ValueError:
        _failed(store, account, email)
        raise SignInRefused(WRONG_DETAILS) from None
    if account.password_hash and passwords.needs_rehash(account.password_hash, params):
        store.update_hash(account, passwords.hash_password(password, params))
    return account, unlocked


def check_code(store: AccountStore[A], account_id: str, code: str, contact: str) -> A:
    """Step 2: a TOTP code never used before. Wrong codes count as failures too."""
    account = store.get(account_id)
    if account is None or not account.active or not store.is_set_up(account):
        raise SignInRefused(WRONG_DETAILS)
    email = passwords.normalise_email(account.email)
    _refuse_if_waiting(email)
    try:
        secret = totp.open_secret(
            account.totp_secret or b"",
            current_app.config["SECRET_KEY"],
            account.id,
            store.totp_label,
        )
    except DecryptionError:
        # Only a changed SECRET_KEY does this; no code can ever match, so say what will help.
        raise SignInRefused(
            f"Your security codes cannot be checked. Ask {contact} for a new setup link"
        ) from None
    step = totp.matching_step(secret, code, None)
    if step is None or not store.claim_step(account, step):
        _failed(store, account, email)
        raise SignInRefused(WRONG_CODE)
    failures = throttle.failures_at(email)
    throttle.record_success(email)
    minutes = throttle.Settings.from_config().window // 60
    store.audit(
        account.email,
        "sign_in",
        account.email,
        f"{failures} failed attempts at this address in the last {minutes} minutes"
        if failures
        else "",
    )
    return account


# --- setup --------------------------------------------------------------------------------------


def account_for_setup(store: AccountStore[A], token: str) -> A | None:
    """The account a setup link belongs to, if the link is still valid."""
    if not passwords.plausible_token(token):
        return None
    return store.for_setup(passwords.token_hash(token))


def choose_password(store: AccountStore[A], account: A, password: str) -> None:
    """Setup step 1. The form checks the same rule first, so this refusal is a backstop."""
    problem = passwords.password_problem(password, account.email)
    if problem:
        raise AccountError(problem)
    store.save_password(account, passwords.hash_password(password, store.argon2_params()), password)


def finish_setup(store: AccountStore[A], account: A, secret: str, code: str) -> bool:
    """Setup step 2: confirm the authenticator app with a current code."""
    if not account.password_hash:
        return False
    step = totp.matching_step(secret, code, None)
    if step is None or not store.claim_step(account, step):
        return False
    app_secret = current_app.config["SECRET_KEY"]
    sealed = totp.seal_secret(secret, app_secret, account.id, store.totp_label)
    store.finish_setup(account, sealed)
    throttle.reset(account.email)
    return True


def provisioning_uri(store: AccountStore[A], secret: str, email: str) -> str:
    return totp.provisioning_uri(secret, email, store.issuer)
