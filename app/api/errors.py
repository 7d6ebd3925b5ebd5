"""JSON errors for the delivery API: `{"error": code, "message": text}`, never an HTML page.

The console is a program: it needs a stable code to act on and a status to retry by. An
unexpected failure is still JSON (500, or 503 with Retry-After when the database is away or
not answering, which the console retries); its log line names the exception type and place
only, never a value.
"""

from __future__ import annotations

import logging
import traceback
from contextlib import suppress

from flask import Blueprint, Response, jsonify
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from app.extensions import intake_db as db
from app.intake import incoming
from app.web.errors import DATABASE_AWAY, DATABASE_RETRY_AFTER_SECONDS

log = logging.getLogger(__name__)

CODES = {
    400: ("bad_request", "The request is malformed."),
    401: ("unauthorised", "A valid bearer token is required."),
    404: ("not_found", "There is nothing here."),
    405: ("method_not_allowed", "This method is not allowed here."),
    409: ("conflict", "This conflicts with what intake already holds."),
    413: ("too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send the body as application/json."),
    422: ("invalid", "The request is not valid."),
    429: ("rate_limited", "Too many requests with this token; slow down and retry."),
    500: ("server_error", "Something went wrong at intake; nothing was changed. Retry later."),
    503: ("unavailable", "Intake is unavailable; nothing was changed. Retry later."),
}
DOMAIN_STATUS = {incoming.NotFound: 404, incoming.Conflict: 409, incoming.Invalid: 422}


class ApiError(Exception):
    """Raised by the API's own request checks to answer with `status` and `message`."""

    def __init__(self, status: int, message: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message or CODES[status][1]


def json_error(status: int, message: str | None = None) -> Response:
    code, default = CODES.get(status, ("error", "The request could not be handled."))
    response = jsonify(error=code, message=message or default)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _api_error(error: ApiError) -> Response:
    return json_error(error.status, error.message)


def _domain_error(error: incoming.DeliveryError) -> Response:
    return json_error(DOMAIN_STATUS.get(type(error), 422), str(error))


def http_error(error: HTTPException) -> Response:
    """Also used by app/web/errors.py for /api/ URLs that match no route (404, 405)."""
    response = json_error(error.code or 500)
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _database_away(error: Exception) -> bool:
    """Refused, dropped, timed-out or cancelled: what a database that is down, restarting or
    hung raises, wrapped by SQLAlchemy or raw from the driver (a pooled connection used
    directly is not wrapped). Other database errors are bugs, and stay 500s."""
    if isinstance(error, DATABASE_AWAY):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    driver = db.engine.dialect.loaded_dbapi
    return isinstance(error, (driver.OperationalError, driver.InterfaceError))


def _unexpected(error: Exception) -> Response:
    away = _database_away(error)
    # The session may hold a transaction on a dead connection; the next request must not.
    # If the connection is already gone, so is its transaction: the pool discards it.
    with suppress(*DATABASE_AWAY):
        db.session.rollback()
    if away:
        # The type only: a driver's message names the host and port.
        log.warning("delivery API: database unavailable (%s); answered 503",
                    type(error).__name__)
        response = json_error(503)
        response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response
    # Type and place only: an exception's message might quote a request value.
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    where = f" at {frame.filename}:{frame.lineno}" if frame else ""
    log.error("delivery API: unhandled %s%s", type(error).__name__, where)
    return json_error(500)


def init_blueprint(bp: Blueprint) -> None:
    bp.register_error_handler(ApiError, _api_error)
    bp.register_error_handler(incoming.DeliveryError, _domain_error)
    bp.register_error_handler(HTTPException, http_error)
    bp.register_error_handler(Exception, _unexpected)
