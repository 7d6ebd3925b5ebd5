"""Error pages: plain words, neutral titles, never a stack trace or a 500 for bad input."""

from __future__ import annotations

import logging
import traceback

from flask import Flask, Response, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

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


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


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
    if request.path.startswith("/api/"):
        # No API route matched (404/405), so the API blueprint's JSON handlers never ran.
        from app.api.errors import http_error

        return http_error(error)
    return _render(error.code or 500)


def _unexpected(error: Exception) -> tuple[str, int]:
    # Type and place only: an exception's message might quote what someone typed.
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    where = f" at {frame.filename}:{frame.lineno}" if frame else ""
    log.error("unhandled %s%s", type(error).__name__, where)
    return _render(500)
