"""Health and readiness for the load balancer, saying nothing about the service.

`/healthz` answers 200 while the process can serve at all (restart it if not). `/readyz`
answers 200 only when the database answers, and the rate-limit store too where one is
configured without the in-memory fallback (take the instance out of rotation if not). Both
bodies are one fixed word: no version, no error text, no host or database names, nothing an
outsider could use.
"""

from __future__ import annotations

import logging

from flask import Flask, Response
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)


def init_app(app: Flask, db: SQLAlchemy) -> None:
    from app.extensions import limiter

    def healthz() -> Response:
        return Response("ok\n", mimetype="text/plain")

    def readyz() -> Response:
        ready = True
        try:
            with db.engine.connect() as conn:
                conn.execute(text("select 1"))
        except SQLAlchemyError:
            log.warning("not ready: the database does not answer")
            ready = False
        if limiter.enabled and not limiter.storage.check():
            # With the in-memory fallback the instance still serves, limits kept per worker;
            # taking every instance out of rotation for a Redis outage would stop the service.
            log.warning("the rate-limit store does not answer")
            ready = ready and bool(app.config.get("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"))
        return Response("ready\n" if ready else "not ready\n", status=200 if ready else 503,
                        mimetype="text/plain")

    app.add_url_rule("/healthz", "healthz", limiter.exempt(healthz))
    app.add_url_rule("/readyz", "readyz", limiter.exempt(readyz))
