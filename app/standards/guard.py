"""Lockout and used-code memory for analyst sign-in, in an expiring store, never the database.

Both need moments in time (a lock lasts 15 minutes; a code may not be used twice within its
90-second window). The intake database holds no time of day (G4), so they live as expiring
keys in the rate-limit store (Redis in production, shared by every instance; memory in
development). Keys carry an HMAC of the analyst's id, not the id or email, and vanish on
their own. If the store is emptied, a lock ends early; that is the price of keeping no
timestamps, and the per-address rate limit on the sign-in pages still applies.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, current_app
from limits.storage import Storage, storage_from_string

from app.two_factor import STEP_SECONDS

EXTENSION = "standards_guard"
USED_CODE_SECONDS = 4 * STEP_SECONDS  # outlives the three steps a code is accepted in


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])


def _store() -> Storage:
    return current_app.extensions[EXTENSION]


def _key(kind: str, analyst_id: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    tag = hmac.new(secret, f"analyst:{analyst_id}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"standards:{kind}:{tag}"


def is_locked(analyst_id: str) -> bool:
    return _store().get(_key("locked", analyst_id)) > 0


def record_failure(analyst_id: str) -> bool:
    """Count a failed password or code; True if this failure locks the account."""
    config = current_app.config
    seconds = int(config["ANALYST_LOCKOUT_MINUTES"]) * 60
    failures = _store().incr(_key("failures", analyst_id), seconds)
    if failures < int(config["ANALYST_ATTEMPTS_BEFORE_LOCKOUT"]):
        return False
    _store().incr(_key("locked", analyst_id), seconds)
    _store().clear(_key("failures", analyst_id))  # once the lock ends, counting starts afresh
    return True


def clear_failures(analyst_id: str) -> None:
    _store().clear(_key("failures", analyst_id))


def unlock(analyst_id: str) -> None:
    _store().clear(_key("locked", analyst_id))
    clear_failures(analyst_id)


def claim_step(analyst_id: str, step: int) -> bool:
    """Use up a code's time step; False if it, or a later step, was already used.

    Later steps count too, as in the console: once a newer code has been used, an older one
    that is still inside the drift window is refused.
    """
    store = _store()
    if any(store.get(_key(f"step-{s}", analyst_id)) for s in range(step, step + 3)):
        return False
    # incr is atomic in both stores, so of two requests racing with one code only one wins.
    return store.incr(_key(f"step-{step}", analyst_id), USED_CODE_SECONDS) == 1


def forget_codes(analyst_id: str, now_step: int) -> None:
    """On a reset: the old secret is gone, so its used steps no longer need refusing (they
    would otherwise block the new secret's first codes for a couple of minutes)."""
    for step in range(now_step - 3, now_step + 4):
        _store().clear(_key(f"step-{step}", analyst_id))
