"""Sign-in throttling that neither locks a real person out nor says who has an account (G8).

There is no lock. Failed attempts (a wrong password, or a wrong code after a right password)
are counted per email address *as typed*, whether or not an account has it, so unknown and
known addresses are throttled identically and nothing here tells them apart:

- per client and address (`client`): the first `SIGN_IN_FREE_FAILURES` failures in a window
  cost nothing; each one after that makes *that client* wait before its next attempt at that
  address, doubling each time (2 s, 4 s, 8 s ... up to `SIGN_IN_MAX_DELAY_SECONDS`). Someone
  else, at another client, is not slowed at all: the attacker's wrong guesses never stop the
  real person, who signs in from their own browser with the right password and code.
- per address (`address`): once `SIGN_IN_ACCOUNT_BUDGET` failures from all clients together
  fall in one window, every client that has already failed at that address waits for the
  window to end; a client that has not failed still gets its attempt checked. A botnet gets
  at most one guess per client per window, and the real person still gets in.

Beside these, Flask-Limiter limits each client's sign-in posts (`POST_LIMITS` in views).

The counters live as expiring keys in the rate-limit store (Redis in production, shared by
every instance; memory in development), never in a database row, so no row holds a moment in
time. Keys are keyed hashes: of the address, and of the address with the limiter's anonymous
client key (itself never a raw IP address); they vanish on their own when the window ends.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from dataclasses import dataclass

from flask import current_app
from flask.sansio.app import App
from limits.storage import Storage, storage_from_string

from app.accounts.passwords import normalise_email
from app.web.privacy_logging import anonymous_client_key

EXTENSION = "sign_in_throttle"
DEFAULTS = {
    "SIGN_IN_WINDOW_SECONDS": 15 * 60,
    "SIGN_IN_FREE_FAILURES": 3,
    "SIGN_IN_MAX_DELAY_SECONDS": 15 * 60,
    "SIGN_IN_ACCOUNT_BUDGET": 20,
}
_KEY_INFO = b"safe-referral/v1/sign-in-throttle"


@dataclass(frozen=True)
class Settings:
    window: int
    free: int
    max_delay: int
    budget: int

    @classmethod
    def from_config(cls) -> Settings:
        config = current_app.config
        return cls(
            window=int(config["SIGN_IN_WINDOW_SECONDS"]),
            free=int(config["SIGN_IN_FREE_FAILURES"]),
            max_delay=int(config["SIGN_IN_MAX_DELAY_SECONDS"]),
            budget=int(config["SIGN_IN_ACCOUNT_BUDGET"]),
        )


def init_app(app: App) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    if EXTENSION not in app.extensions:
        app.extensions[EXTENSION] = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])


def _store() -> Storage:
    store: Storage = current_app.extensions[EXTENSION]
    return store


def _tag(*parts: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    key = hmac.new(secret, _KEY_INFO, hashlib.sha256).digest()
    return hmac.new(key, "\x00".join(parts).encode(), hashlib.sha256).hexdigest()[:32]


def _surface() -> str:
    return str(current_app.config.get("SURFACE", ""))


def _address_key(email: str) -> str:
    return f"sign-in:address:{_tag(_surface(), normalise_email(email))}"


def _client_key(email: str) -> str:
    return f"sign-in:client:{_tag(_surface(), anonymous_client_key(), normalise_email(email))}"


def _wait_key(email: str) -> str:
    tag = _tag(_surface(), "wait", anonymous_client_key(), normalise_email(email))
    return f"sign-in:wait:{tag}"


def _remaining(key: str) -> int:
    return max(1, math.ceil(_store().get_expiry(key) - time.time()))


def wait_seconds(email: str) -> int:
    """How long this client must wait before its next attempt at this address (0: go ahead)."""
    store = _store()
    if store.get(_wait_key(email)) > 0:
        return _remaining(_wait_key(email))
    settings = Settings.from_config()
    if store.get(_address_key(email)) >= settings.budget and store.get(_client_key(email)) > 0:
        return _remaining(_address_key(email))
    return 0


def record_failure(email: str) -> int:
    """Count a failed password or code; returns the address's failures in this window."""
    settings = Settings.from_config()
    store = _store()
    failures = store.incr(_client_key(email), settings.window)
    total = store.incr(_address_key(email), settings.window)
    if failures > settings.free:
        delay = min(settings.max_delay, 2 ** min(failures - settings.free, 30))
        store.clear(_wait_key(email))
        store.incr(_wait_key(email), delay)
    return total


def failures_at(email: str) -> int:
    """Failed attempts at this address from all clients in the current window."""
    return _store().get(_address_key(email))


def record_success(email: str) -> None:
    """This client got in: its own count starts again (the address's budget does not)."""
    _store().clear(_client_key(email))
    _store().clear(_wait_key(email))


def reset(email: str) -> None:
    """On a new setup link: the address's window starts afresh (every client's own count
    expires by itself)."""
    _store().clear(_address_key(email))


# --- used codes: the replay guard for stores that keep no time in their rows ------------------


def claim_code_step(owner: str, step: int, keep_seconds: int) -> bool:
    """Use up a code's time step; False if it, or a later step, was already used.

    For surfaces whose database holds no time of day (G4): the steps live as expiring keys.
    incr is atomic in both stores, so of two requests racing with one code only one wins.
    """
    store = _store()
    if any(store.get(f"sign-in:step:{_tag(owner, str(s))}") for s in range(step, step + 3)):
        return False
    return store.incr(f"sign-in:step:{_tag(owner, str(step))}", keep_seconds) == 1


def forget_code_steps(owner: str, now_step: int) -> None:
    """On a reset: the old secret is gone, so its used steps no longer need refusing (they
    would otherwise block the new secret's first codes for a couple of minutes)."""
    for step in range(now_step - 3, now_step + 4):
        _store().clear(f"sign-in:step:{_tag(owner, str(step))}")
