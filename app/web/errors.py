"""Error pages: plain words, neutral titles, never a stack trace or a 500 for bad input."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

from flask import Flask, Response, current_app, make_response, render_template, request, session
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from app.web import expensive, fair_use

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Something went wrong with that request", "Go back and try again."),
    403: (
        "You need to enter your reference phrase",
        "Your session may have ended. Enter your reference phrase again.",
    ),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("Something went wrong with that request", "Go back and try again."),
    413: ("What you entered is too long", "Go back, shorten your answer and try again."),
    429: (
        "Please wait before trying again",
        "You have tried too many times. Wait a few minutes and try again.",
    ),
    500: (
        "Sorry, there is a problem with the service",
        "Nothing you entered has been stored. Try again later.",
    ),
    503: (
        "Sorry, the service is unavailable",
        "Nothing you entered has been stored. Try again later.",
    ),
}


# The console's staff see their own wording where the intake's would mislead them.
CONSOLE_MESSAGES = {
    403: ("You do not have access to this page", "Ask your manager if you think you should."),
    500: ("Sorry, there is a problem with the console", "Try again later."),
    503: ("Sorry, the console is unavailable", "Try again later."),
}


PrefixHandler = Callable[[HTTPException], Response]
# How long a person is asked to wait when the database is away (a restart or a fail-over
# takes about this long); the load balancer's /readyz check sees the same outage.
DATABASE_RETRY_AFTER_SECONDS = 30


class DatabaseUnavailable(Exception):
    """The database did not answer: for the session store, before any view has run."""


# What a database that is down or restarting raises (refused, dropped or timed-out
# connections); other database errors are bugs, and stay 500s.
DATABASE_AWAY = (OperationalError, InterfaceError, PoolTimeout, DatabaseUnavailable)


def init_app(app: Flask) -> None:
    app.extensions.setdefault("error_handlers_by_path", {})
    # First of all before_request hooks: CSRF and the limits must not judge an empty session
    # that stands in for one the store could not read.
    app.before_request_funcs.setdefault(None, []).insert(0, _session_was_read)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(expensive.Busy, _busy)
    for away in DATABASE_AWAY:
        app.register_error_handler(away, _database_away)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def answer_under(app: Flask, prefix: str, handler: PrefixHandler) -> None:
    """Let a surface answer HTTP errors under its own path (the API's JSON): a 404 or 405 that
    no route matched never reaches the surface's own blueprint handlers."""
    app.extensions.setdefault("error_handlers_by_path", {})[prefix] = handler


def _render(code: int, heading: str | None = None, body: str | None = None) -> tuple[str, int]:
    own = CONSOLE_MESSAGES if current_app.config.get("SURFACE") == "console" else {}
    default_heading, default_body = own.get(code) or MESSAGES.get(code, MESSAGES[400])
    return render_template(
        "error.html", heading=heading or default_heading, body=body or default_body
    ), code


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    return _render(
        400,
        "This page has expired",
        "For your safety, pages expire after a while. Go back, reload the page and try again.",
    )


def _http_error(error: HTTPException) -> tuple[str, int] | Response:
    if error.code == 429:
        return _too_many(error)
    handlers: dict[str, PrefixHandler] = current_app.extensions.get("error_handlers_by_path", {})
    for prefix, handler in handlers.items():
        if request.path.startswith(prefix):
            return handler(error)
    return _render(error.code or 500)


def _too_many(error: HTTPException) -> Response:
    """A calm page (or the API's JSON) that says when to try again, with Retry-After (G10)."""
    wait = fair_use.retry_after_seconds()
    handlers: dict[str, PrefixHandler] = current_app.extensions.get("error_handlers_by_path", {})
    answer = next(
        (handler(error) for prefix, handler in handlers.items() if request.path.startswith(prefix)),
        None,
    )
    if answer is None:
        minutes = max((wait + 59) // 60, 1)
        when = "in 1 minute" if minutes == 1 else f"in {minutes} minutes"
        answer = make_response(
            _render(
                429,
                body=f"You have tried too many times. Nothing you entered has been lost. "
                f"Wait a little and try again {when}.",
            )
        )
    answer.headers["Retry-After"] = str(wait)
    return answer


def _busy(error: expensive.Busy) -> Response:
    """Every slot for expensive work is taken: say so at once rather than queue (G10)."""
    answer = make_response(
        _render(
            503,
            "The service is busy",
            "Your request has not been sent. Go back and try again in a minute.",
        )
    )
    answer.headers["Retry-After"] = str(expensive.RETRY_AFTER_SECONDS)
    return answer


def _session_was_read() -> None:
    if getattr(session, "unavailable", False):
        raise DatabaseUnavailable


def database_unavailable_page() -> Response:
    """The service's 503 page with Retry-After: the person is told to come back, not shown a
    500 or a form that silently forgot their answers."""
    answer = make_response(_render(503))
    answer.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return answer


def _database_away(error: Exception) -> Response:
    # The session may hold a transaction on a dead connection; the next request must not.
    database = current_app.extensions.get("sqlalchemy")
    if database is not None:
        database.session.rollback()
    # The type only: a driver's message names the host and port.
    log.warning("database unavailable (%s); answered 503", type(error).__name__)
    return database_unavailable_page()


def _driver_lost_database(error: Exception) -> bool:
    """The driver's own OperationalError or InterfaceError (DB-API 2), for code that uses a
    raw pooled connection, which SQLAlchemy does not wrap."""
    database = current_app.extensions.get("sqlalchemy")
    if database is None:
        return False
    driver = database.engine.dialect.loaded_dbapi
    return isinstance(error, (driver.OperationalError, driver.InterfaceError))


def _unexpected(error: Exception) -> tuple[str, int] | Response:
    if _driver_lost_database(error):
        return _database_away(error)
    # Type and place only: an exception's message might quote what someone typed.
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    where = f" at {frame.filename}:{frame.lineno}" if frame else ""
    log.error("unhandled %s%s", type(error).__name__, where)
    return _render(500)
