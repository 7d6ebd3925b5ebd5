"""Limits that stop one abuser, not a building (G10).

Three kinds of key, none of them an address:
- the session (a random id kept in the person's own session, hashed under SECRET_KEY), so
  colleagues behind one police or carrier address each get their own quota;
- the address bucket (`anonymous_client_key`: one of 65,536), a loose outer bound;
- everyone, a global budget that protects the service as a whole.

Flask-Limiter's "fixed-window" strategy sets each counter to expire a window after its first
hit, so a counter's expiry gives the time of the first request to the second (and Redis keeps
milliseconds). The strategy here counts in windows aligned to the clock instead: every
counter of a window expires at the window's end, whatever happened inside it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import time
from collections.abc import Callable
from functools import partial, wraps
from typing import Any, TypeVar

from flask import current_app, request, session
from limits import RateLimitItem
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import STRATEGIES, FixedWindowRateLimiter, RateLimiter
from redis.exceptions import RedisError

from app.web import fair_limiter
from app.web.privacy_logging import anonymous_client_key

log = logging.getLogger(__name__)
# Where one-use marks go when Redis fails under a request that had already passed its limits.
_FALLBACK_MARKS = MemoryStorage()

F = TypeVar("F", bound=Callable[..., Any])

STRATEGY = "aligned-fixed-window"
SESSION_ID = "sid"  # a random id in the session, for its quota; never an address


def now() -> float:
    """The clock every limit and challenge reads (tests replace it to move time on)."""
    return time.time()


def window_end(seconds: int, at: float | None = None) -> int:
    """The end of the clock-aligned window of `seconds` that contains `at`."""
    moment = now() if at is None else at
    return (math.floor(moment / seconds) + 1) * seconds


def increment_until(storage: Storage | None, key: str, expires_at: int, amount: int = 1) -> int:
    """Add to a counter that expires at a whole second shared by every counter of its window."""
    if isinstance(storage, RedisStorage):
        full_key = storage.prefixed_key(key)
        pipe = storage.get_connection().pipeline()  # type: ignore[attr-defined]
        pipe.incrby(full_key, amount)
        pipe.expireat(full_key, expires_at)  # absolute: nothing of the hit's own time
        count, _ = pipe.execute()
        return int(count)
    if isinstance(storage, MemoryStorage):
        count = storage.incr(key, max(expires_at - now(), 1), amount)
        storage.expirations[key] = expires_at
        return count
    raise TypeError("rate limits need Redis (production) or memory (tests) storage")


class AlignedFixedWindow(FixedWindowRateLimiter):
    """Flask-Limiter's fixed window, with windows aligned to the clock."""

    def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        key = item.key_for(*identifiers)
        return increment_until(self.storage, key, window_end(item.get_expiry()), cost) <= (
            item.amount
        )


def register_strategy() -> None:
    """Make the aligned strategy available to Flask-Limiter by name (RATELIMIT_STRATEGY)."""
    strategies: dict[str, type[RateLimiter]] = STRATEGIES  # type: ignore[assignment]
    strategies.setdefault(STRATEGY, AlignedFixedWindow)


def session_key() -> str:
    """Quota key for this session: a keyed hash of its random id, made on first use."""
    sid = session.get(SESSION_ID)
    if not isinstance(sid, str):
        sid = session[SESSION_ID] = secrets.token_urlsafe(16)
    secret = current_app.config["SECRET_KEY"].encode()
    return "s" + hmac.new(secret, b"session quota:" + sid.encode(), hashlib.sha256).hexdigest()[:24]


def everyone_key() -> str:
    """The global budget's one key."""
    return "all"


def spend_once(token: str, valid_until: float) -> bool:
    """True the first time a one-use token is spent; its mark lasts past its validity and
    expires at a whole hour, so the mark says nothing finer than that hour."""
    from app.extensions import limiter  # the limiter's own store (Redis in production)

    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True  # limits switched off (only tests do): no store to mark it in
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    mark = f"{prefix}/spent/" + hashlib.sha256(token.encode()).hexdigest()[:32]
    expires = window_end(3600, valid_until)
    # The live strategy's store: Redis, or Flask-Limiter's in-memory fallback while Redis is
    # down (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED), when a token is spent once per worker.
    try:
        return increment_until(limiter.limiter.storage, mark, expires) == 1
    except RedisError:
        log.warning("one-use marks: the rate-limit store does not answer; marking in memory")
        return increment_until(_FALLBACK_MARKS, mark, expires) == 1


def retry_after_seconds() -> int:
    """Seconds until the limit this request broke resets (at least one)."""
    from app.extensions import limiter

    breached = limiter.current_limit
    if breached is None:
        return 60
    # reset_at is the window's end plus Flask-Limiter's one second of rounding up.
    return max(int(breached.reset_at - 1 - now()), 1)


KEY_FUNCS = {"session": session_key, "address": anonymous_client_key, "everyone": everyone_key}


def configured(name: str, kind: str) -> str:
    """The limits of one kind in a setting like "5 per hour per session;300 per hour per
    address;1000 per hour for everyone" (Flask-Limiter notation, one kind at a time)."""
    wanted = []
    for part in str(current_app.config.get(name, "")).split(";"):
        words = part.split()
        if len(words) >= 2 and words[-1] == kind and words[-2] in ("per", "for"):
            wanted.append(" ".join(words[:-2]))
    return ";".join(wanted)


def limit(name: str) -> Callable[[F], F]:
    """Apply the POST limits of setting `name`, each kind under its own key."""
    from app.extensions import limiter

    def decorate(view: F) -> F:
        weighed = view
        for kind, key_func in KEY_FUNCS.items():
            # Flask-Limiter resolves each limit and asks exempt_when before it looks at the
            # method, so a GET (most requests) answers both at once without reading settings.
            weighed = limiter.limit(  # type: ignore[assignment]
                partial(
                    lambda n, k: (request.method == "POST" and configured(n, k)) or "1 per hour",
                    name,
                    kind,
                ),
                key_func=key_func,
                methods=["POST"],
                exempt_when=partial(
                    lambda n, k: request.method != "POST" or not configured(n, k), name, kind
                ),
            )(weighed)

        @wraps(view)  # the same name, under which Flask-Limiter keeps the view's limits
        def limited(*args: Any, **kwargs: Any) -> Any:
            # A GET no limit counts goes straight to the view: the three Flask-Limiter
            # wrappers cost more than a kept page (app/web/fair_limiter.py, docs/benchmarks.md).
            if fair_limiter.nothing_counts(limiter):
                return view(*args, **kwargs)
            return weighed(*args, **kwargs)

        return limited  # type: ignore[return-value]

    return decorate
