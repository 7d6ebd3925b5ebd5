"""gunicorn settings for production: no access log, and error lines without client details.

G4: an access log line holds the client address, user agent and time of the request, so
none is written. Error logging uses the app's own format (level, logger, message).
"""

import multiprocessing
import os

# Behind the load balancer / TLS terminator; GUNICORN_BIND to listen elsewhere.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: each request is short, except a submit or phrase lookup, whose Argon2id
# (~64 MiB, ARGON2_CONCURRENCY at once per worker) takes about a core. One worker per core,
# plus one, keeps the cores busy without queueing behind memory (docs/benchmarks.md).
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# A restarted worker every few thousand requests bounds any slow leak; jitter staggers them.
max_requests = 5000
max_requests_jitter = 500
# The app is loaded once, before the workers are forked: a restarted worker is then a fork,
# not 1.4 s of CPU importing and building the app again while the others serve alone
# (docs/benchmarks.md). New code therefore needs a restart of gunicorn itself, not a HUP
# (docs/deploy.md).
preload_app = True
accesslog = None
disable_redirect_access_to_syslog = True
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
}
# gunicorn itself trusts forwarding headers only from here; the app's ProxyFix (TRUSTED_PROXIES)
# decides who the client is.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server: object) -> None:
    """In the master, before the first fork: every template compiled once, so a new worker
    does not spend ~0.4 s compiling the GOV.UK macros again; then the heap frozen, so the
    workers' garbage collector leaves the master's objects (and their shared pages) alone
    (CPython's gc.freeze recipe for forking servers)."""
    import gc

    application = server.app.wsgi()  # type: ignore[attr-defined]
    environment = getattr(application, "jinja_env", None)
    if environment is not None:
        for name in environment.list_templates(filter_func=lambda name: name.endswith(".html")):
            environment.get_template(name)
    gc.freeze()


def post_fork(server: object, worker: object) -> None:
    """Each worker opens its own database connections: a pooled connection made before the
    fork would be shared by every worker. SQLAlchemy's own recipe: forget the parent's pool
    without closing its connections, which the parent still owns."""
    application = worker.app.wsgi()  # type: ignore[attr-defined]
    database = getattr(application, "extensions", {}).get("sqlalchemy")
    if database is None:
        return
    with application.app_context():
        for engine in database.engines.values():
            engine.dispose(close=False)
