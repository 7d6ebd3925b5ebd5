"""Logging that never records who or when.

G4: no IP address, user agent, referrer or time of day in any log line. Log records carry
level, logger and message only, the development server logs no request lines, and rate
limits key on a keyed hash of the address that changes every day, so no store holds an IP.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import logging.config
from datetime import date

from flask import current_app, request
from werkzeug.serving import WSGIRequestHandler

LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO") -> None:
    """Install the one log format for the whole process (no asctime, no client fields)."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"plain": {"format": LOG_FORMAT}},
            "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
            "root": {"level": level, "handlers": ["stderr"]},
            # Werkzeug's request lines start with the client address: silence them.
            # Flask-Limiter logs each breach with its key, a hash of the address that anyone
            # holding SECRET_KEY can reverse by trying every IPv4 address: keep it out too.
            "loggers": {"werkzeug": {"level": "ERROR"}, "flask-limiter": {"level": "WARNING"}},
        }
    )


class QuietRequestHandler(WSGIRequestHandler):
    """Development server handler that writes no access log at all."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None

    def log(self, type: str, message: str, *args: object) -> None:
        if type == "error":
            # Keep the problem, drop the address and time Werkzeug would prepend.
            logging.getLogger("werkzeug").error(message, *args)


def anonymous_client_key() -> str:
    """Rate-limit key: an HMAC of the client address under a key that rotates daily."""
    secret = current_app.config["SECRET_KEY"].encode()
    day_key = hmac.new(secret, date.today().isoformat().encode(), hashlib.sha256).digest()
    address = (request.remote_addr or "unknown").encode()
    return hmac.new(day_key, address, hashlib.sha256).hexdigest()[:32]
