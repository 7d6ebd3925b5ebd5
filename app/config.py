"""Configuration, read from the environment.

Development and tests run on embedded SQLite with demo keys; production must be given
everything explicitly and refuses to start otherwise (DESIGN section 8).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from crypto.keyfile import Argon2Params

# Refused in production (refuse_unsafe_production), so never a real secret.
DEV_SECRET = "development-only-secret-never-use-in-production"  # noqa: S105  # nosec B105
DEV_PEPPER = b"development-only-pepper-0000"
# Keys the console's audit chain (G8); it lives in configuration, never in the database.
DEV_AUDIT_CHAIN_KEY = b"development-only-audit-chain-key-never-in-production"
DEV_INTAKE_BASE_URL = "http://127.0.0.1:5000"
DEV_CONSOLE_BASE_URL = "http://127.0.0.1:5001"
INSTANCE = Path(os.environ.get("SAFE_REFERRAL_INSTANCE", Path.cwd() / "instance"))


class ConfigurationError(RuntimeError):
    """The service was asked to start in production with an unsafe configuration."""


def _base_url(name: str, env: str, development: str) -> str:
    """A configured base URL; the development default only outside production."""
    return os.environ.get(name, "" if env == "production" else development)


def parse_pins(text: str) -> dict[str, str]:
    """Provider name -> signing key fingerprint, from "Name=FINGERPRINT;Name 2=..." or lines.

    Entries are separated by ';' or new lines; blank lines and lines starting with '#' are
    skipped. The fingerprint's shape is checked when a key set is verified against it.
    """
    pins: dict[str, str] = {}
    for entry in text.replace("\n", ";").split(";"):
        entry = entry.strip()
        if not entry or entry.startswith("#"):
            continue
        name, sep, fingerprint = entry.rpartition("=")
        if not sep or not name.strip() or not fingerprint.strip():
            raise ConfigurationError(
                "PINNED_PROVIDER_KEYS entries are 'Provider name=SIGNING KEY FINGERPRINT'"
            )
        pins[name.strip()] = fingerprint.strip()
    return pins


def _pinned_provider_keys() -> dict[str, str]:
    """The pins from PINNED_PROVIDER_KEYS, or from the file PINNED_PROVIDER_KEYS_FILE names.

    Deployment configuration only, never the database: an insider who can write intake's
    database must not be able to choose which key referrals are sealed to (G2).
    """
    path = os.environ.get("PINNED_PROVIDER_KEYS_FILE", "")
    text = Path(path).read_text(encoding="utf-8") if path else ""
    return parse_pins(os.environ.get("PINNED_PROVIDER_KEYS", "") + "\n" + text)


def _trusted_proxies(env: str) -> int | None:
    """How many proxies in front of the app may say who the client is (ProxyFix).

    None in production when unset, which refuses to start: guessing wrong either lets any
    client choose its own address or puts everyone in one bucket (G10)."""
    value = os.environ.get("TRUSTED_PROXIES")
    if value is None:
        return None if env == "production" else 0
    return int(value)


def _under_gunicorn() -> bool:
    """True in gunicorn's processes (it sets SERVER_SOFTWARE before loading the app), false
    for `flask` commands: migrations and backfills may rightly run longer than a request."""
    return os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/")


def engine_options(url: str, web_process: bool) -> dict[str, Any]:
    """SQLAlchemy engine options; for PostgreSQL (psycopg), bounds on waiting for the server.

    Without them a database that drops packets or hangs, rather than refusing, holds a request
    for the operating system's default (psycopg waits 130 s to connect, TCP retries for about
    15 minutes) instead of answering 503 at once (docs/deploy.md, "When PostgreSQL is down").
    """
    # Hidden parameters keep sealed blobs and answers out of error messages and logs.
    options: dict[str, Any] = {"hide_parameters": True, "pool_pre_ping": True}
    if make_url(url).get_backend_name() != "postgresql":
        return options
    connect = int(os.environ.get("DATABASE_CONNECT_TIMEOUT_SECONDS", "5"))
    connect_args: dict[str, Any] = {
        "connect_timeout": connect,
        # Sent data (the pool's ping, a query) unacknowledged this long closes the connection.
        "tcp_user_timeout": connect * 1000,
    }
    statement = int(os.environ.get("DATABASE_STATEMENT_TIMEOUT_SECONDS", "20"))
    if web_process and statement > 0:
        # Under gunicorn's 30 s worker timeout: the server abandons a runaway statement
        # rather than running on for a worker that has been killed. The slowest statements
        # a request runs (a year-end release, the release audit's reads) take well under 1 s.
        connect_args["options"] = f"-c statement_timeout={statement * 1000}"
    options["connect_args"] = connect_args
    return options


def intake_config() -> dict[str, Any]:
    """The intake + standards deployment (police side)."""
    env = os.environ.get("SAFE_REFERRAL_ENV", "development")
    intake_url = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'intake.sqlite'}")
    return {
        "ENV_NAME": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEV_SECRET),
        "TRUSTED_PROXIES": _trusted_proxies(env),
        "RATELIMIT_STRATEGY": "aligned-fixed-window",
        "SQLALCHEMY_DATABASE_URI": intake_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(intake_url, web_process=_under_gunicorn()),
        "REFERENCE_PEPPER": os.environ.get("REFERENCE_PEPPER", "").encode() or DEV_PEPPER,
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL", "memory://"),
        # Redis down: each worker keeps the same limits in memory (looser by the number of
        # workers, never off), and Flask-Limiter logs the fall-back, with no address.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "SESSION_COOKIE_SECURE": env == "production",
        "SESSION_IDLE_MINUTES": int(os.environ.get("SESSION_IDLE_MINUTES", "30")),
        "NEUTRAL_EXIT_URL": os.environ.get("NEUTRAL_EXIT_URL", "https://www.bbc.co.uk/weather"),
        "PROVIDER_NAME": os.environ.get("PROVIDER_NAME", "the independent advisor service"),
        # Provider name -> its signing key's fingerprint, checked out of band (G2). A provider
        # without a pin gets no referrals: intake seals only to key sets that verify.
        "PINNED_PROVIDER_KEYS": _pinned_provider_keys(),
        # Absolute links (analysts' setup links) start here, never at the request's Host.
        "INTAKE_BASE_URL": _base_url("INTAKE_BASE_URL", env, DEV_INTAKE_BASE_URL),
        "MAX_CONTENT_LENGTH": 64 * 1024,
        # The contract's KPI targets, shown beside each released figure on the commissioning
        # view (app/standards/commissioning.py): % acknowledged within 1 working day, % first
        # contact attempted within target, and the median working days to first contact.
        "KPI_TARGETS": {
            "acknowledged_within_target": int(os.environ.get("KPI_TARGET_ACKNOWLEDGED", "95")),
            "first_contact_within_target": int(
                os.environ.get("KPI_TARGET_FIRST_CONTACT", "90")
            ),
            "median_days_to_first_contact": int(os.environ.get("KPI_TARGET_MEDIAN_DAYS", "2")),
        },
        # RFC 9106 second recommended option; tests may pass cheaper settings explicitly.
        "PHRASE_ARGON2": Argon2Params(time_cost=3, memory_kib=65536, parallelism=4),
        # G10: at most this many ~64 MiB derivations at once per worker (docs/benchmarks.md).
        "ARGON2_CONCURRENCY": int(os.environ.get("ARGON2_CONCURRENCY", "2")),
        # The cost a client pays for a phrase lookup or a submit (app/web/proof_of_work.py).
        "PROOF_OF_WORK_BITS": int(os.environ.get("PROOF_OF_WORK_BITS", "16")),
        "PROOF_OF_WORK_WAIT_SECONDS": int(os.environ.get("PROOF_OF_WORK_WAIT_SECONDS", "15")),
        # Per session (colleagues behind one address each have their own), per address
        # bucket (a loose outer bound) and for everyone (a global budget): app/intake/views.py.
        "LIMIT_FORM_PAGES": os.environ.get(
            "LIMIT_FORM_PAGES", "120 per hour per session;3000 per hour per address"
        ),
        "LIMIT_SUBMIT": os.environ.get(
            "LIMIT_SUBMIT",
            "5 per hour per session;100 per hour per address;500 per hour for everyone",
        ),
        "LIMIT_PHRASE_LOOKUP": os.environ.get(
            "LIMIT_PHRASE_LOOKUP", "10 per hour per session;600 per hour per address"
        ),
        "LIMIT_MESSAGES": os.environ.get(
            "LIMIT_MESSAGES", "30 per hour per session;600 per hour per address"
        ),
        # Retention at intake, in days (app/intake/retention.py, dpia/dpia.md section 9).
        **_intake_retention(),
    }


def _intake_retention() -> dict[str, int]:
    """Intake's retention periods, in days. The console reads them too, to tell a referrer in
    a subject access export when intake will delete what it still holds (it never asks
    intake): set them alike on both sides."""
    return {
        name: int(os.environ.get(name, default))
        for name, default in (
            ("INTAKE_UNDELIVERED_DAYS", "90"),
            ("INTAKE_LINK_DAYS_AFTER_CLOSE", "30"),
            ("INTAKE_LINK_MAX_DAYS", "2190"),
            ("INTAKE_STUB_DAYS_AFTER_CLOSE", "400"),
            ("INTAKE_MAX_DAYS", "2555"),
        )
    }


def console_config() -> dict[str, Any]:
    """The provider console deployment (provider side)."""
    env = os.environ.get("SAFE_REFERRAL_ENV", "development")
    console_url = os.environ.get(
        "CONSOLE_DATABASE_URL", f"sqlite:///{INSTANCE / 'console.sqlite'}"
    )
    return {
        "ENV_NAME": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEV_SECRET),
        "TRUSTED_PROXIES": _trusted_proxies(env),
        "RATELIMIT_STRATEGY": "aligned-fixed-window",
        "SQLALCHEMY_DATABASE_URI": console_url,
        # Only the connect bound: the console's web process is not given a statement bound.
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(console_url, web_process=False),
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL", "memory://"),
        # Redis down: each worker keeps the same limits in memory (looser by the number of
        # workers, never off), and Flask-Limiter logs the fall-back, with no address.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "SESSION_COOKIE_SECURE": env == "production",
        "SESSION_IDLE_MINUTES": int(os.environ.get("SESSION_IDLE_MINUTES", "15")),
        # Cookies ignore the port: beside the intake on one host, each app needs its own name.
        "SESSION_COOKIE_NAME": "console_session",
        "INTAKE_API_URL": os.environ.get("INTAKE_API_URL", "http://127.0.0.1:5000/api/v1"),
        "INTAKE_API_TOKEN": os.environ.get("INTAKE_API_TOKEN", ""),
        "SYNC_INTERVAL_SECONDS": int(os.environ.get("SYNC_INTERVAL_SECONDS", "60")),
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "25")),
        "DUTY_INBOX": os.environ.get("DUTY_INBOX", ""),
        "ALERT_SENDER": os.environ.get("ALERT_SENDER", "safe-referral@localhost"),
        # Absolute links (setup links, invitations) start here, never at the request's Host.
        "CONSOLE_BASE_URL": _base_url("CONSOLE_BASE_URL", env, DEV_CONSOLE_BASE_URL),
        "ADVISOR_ARGON2": Argon2Params(time_cost=3, memory_kib=65536, parallelism=4),
        "PROVIDER_NAME": os.environ.get("PROVIDER_NAME", "the independent advisor service"),
        "RETENTION_DAYS_AFTER_CLOSE": int(os.environ.get("RETENTION_DAYS_AFTER_CLOSE", "2190")),
        # Shorter periods by how a case closed (app/console/retention.py): no service taken
        # up (declined, withdrawn) six weeks; the referrer could not be reached six months.
        "RETENTION_DAYS_NO_SERVICE": int(os.environ.get("RETENTION_DAYS_NO_SERVICE", "42")),
        "RETENTION_DAYS_UNREACHABLE": int(os.environ.get("RETENTION_DAYS_UNREACHABLE", "183")),
        # A withdrawal keeps the case at least this long (WITHDRAWN_RETENTION_DAYS when set,
        # else the closed-case period), counted from the day the console learns of it:
        # intake's date is not trusted to shorten it (G9).
        **(
            {"WITHDRAWN_RETENTION_DAYS": int(os.environ["WITHDRAWN_RETENTION_DAYS"])}
            if os.environ.get("WITHDRAWN_RETENTION_DAYS")
            else {}
        ),
        # The provider's policy on case notes in a subject access export (app/console/
        # subject_access.py): included unless it says otherwise (a note may name others).
        "SUBJECT_ACCESS_INCLUDES_NOTES": os.environ.get("SUBJECT_ACCESS_INCLUDES_NOTES", "1")
        != "0",
        **_intake_retention(),
        "AUDIT_CHAIN_KEY": os.environ.get("AUDIT_CHAIN_KEY", "").encode() or DEV_AUDIT_CHAIN_KEY,
        # The statistical return's disclosure rules; intake checks it against its own (G6).
        "DISCLOSURE_THRESHOLD": int(os.environ.get("DISCLOSURE_THRESHOLD", "10")),
        "DISCLOSURE_ROUNDING_BASE": int(os.environ.get("DISCLOSURE_ROUNDING_BASE", "5")),
        "MAX_CONTENT_LENGTH": 256 * 1024,
    }


def refuse_unsafe_production(config: dict[str, Any]) -> None:
    """Production never runs on a default secret, a default pepper or SQLite."""
    if config.get("ENV_NAME") != "production":
        return
    problems = []
    if config["SECRET_KEY"] in ("", DEV_SECRET) or len(config["SECRET_KEY"]) < 32:
        problems.append("SECRET_KEY must be set to at least 32 random characters")
    pepper = config.get("REFERENCE_PEPPER")
    if pepper is not None and (pepper == DEV_PEPPER or len(pepper) < 16):
        problems.append("REFERENCE_PEPPER must be set to at least 16 random characters")
    chain_key = config.get("AUDIT_CHAIN_KEY")
    if chain_key is not None and (
        chain_key == DEV_AUDIT_CHAIN_KEY
        or len(chain_key) < 32
        or chain_key == str(config["SECRET_KEY"]).encode()
    ):
        problems.append("AUDIT_CHAIN_KEY must be set to at least 32 random characters, "
                        "not the SECRET_KEY")
    if "PINNED_PROVIDER_KEYS" in config and not config["PINNED_PROVIDER_KEYS"]:
        problems.append("PINNED_PROVIDER_KEYS must pin each provider's signing key fingerprint")
    if "INTAKE_API_URL" in config and not config.get("INTAKE_API_TOKEN"):
        problems.append("INTAKE_API_TOKEN must be set so the console can sync")
    if str(config.get("INTAKE_API_URL", "https://")).startswith("http://"):
        problems.append("INTAKE_API_URL must use https")
    for base in ("INTAKE_BASE_URL", "CONSOLE_BASE_URL"):
        if base in config and not str(config[base]).startswith(("https://", "http://")):
            problems.append(f"{base} must be set to the service's address, like https://...")
    if config.get("TRUSTED_PROXIES") is None:
        problems.append("TRUSTED_PROXIES must be set to the number of proxies in front (0 if none)")
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        problems.append("DATABASE_URL must point at PostgreSQL, not SQLite")
    if config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        problems.append("REDIS_URL must be set so rate limits are shared between instances")
    if problems:
        raise ConfigurationError("Refusing to start in production: " + "; ".join(problems))
