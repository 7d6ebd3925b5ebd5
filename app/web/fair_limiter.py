"""Flask-Limiter, except that a request no limit could count is let through at once.

Flask-Limiter works out every request's limits afresh, then asks each whether it applies, even
for a GET of a page whose only limits are for POST (most requests; app/web/fair_use.py), and
still evaluates the empty list when a request filter exempts it. Which limits an endpoint has,
and the methods each counts, are fixed when the views are declared, so the answer for an
endpoint and method is worked out once per app, by Flask-Limiter itself, and kept
(docs/benchmarks.md). Only GET and HEAD are ever let through this way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name

if TYPE_CHECKING:
    from flask_limiter._limits import RuntimeLimit  # what LimitManager resolves to

NOTHING_COUNTS = "limits_counting_nothing"  # app.extensions: (endpoint, method) -> bool
SAFE_METHODS = ("GET", "HEAD")  # the only methods ever skipped; every post is weighed in full


class FairLimiter(Limiter):
    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        if nothing_counts(self):
            return
        super()._check_request_limit(callable_name, in_middleware)


def nothing_counts(limiter: Limiter) -> bool:
    """Is this a GET or HEAD that no limit of its endpoint counts (limits switched on)?"""
    if not (limiter.enabled and limiter.initialized):
        return False
    config = current_app.config
    if request.method not in SAFE_METHODS or config.get("RATELIMIT_META") or config.get(
        "RATELIMIT_IN_MEMORY_FALLBACK"
    ):
        return False  # meta or fall-back limits (none configured) would count every request
    known: dict[tuple[str | None, str], bool] = current_app.extensions.setdefault(
        NOTHING_COUNTS, {}
    )
    asked = (request.endpoint, request.method)
    verdict = known.get(asked)
    if verdict is None:
        verdict = known[asked] = not any(
            not each.method_exempt for each in _limits_here(limiter)
        )
    return verdict


def _limits_here(limiter: Limiter) -> list[RuntimeLimit]:
    """Every limit Flask-Limiter would weigh for this request: the application's, the
    defaults, the view's own and its blueprint's (flask_limiter's LimitManager)."""
    manager = limiter.limit_manager
    view = current_app.view_functions.get(request.endpoint or "")
    defaults, declared = manager.resolve_limits(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        request.endpoint,
        request.blueprint,
        get_qualified_name(view) if view else "",
        in_middleware=False,
    )
    return [*manager.application_limits, *defaults, *declared]
