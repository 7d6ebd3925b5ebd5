"""Configuration, read from the environment.

Development and tests run on embedded SQLite with demo keys; production must be given
everything explicitly and refuses to start otherwise (DESIGN section 8).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from crypto.keyfile import Argon2Params

DEV_SECRET = "development-only-secret-never-use-in-production"  # noqa: S105 - refused in production
DEV_PEPPER = b"development-only-pepper-0000"
INSTANCE = Path(os.environ.get("SAFE_REFERRAL_INSTANCE", Path.cwd() / "instance"))


class ConfigurationError(RuntimeError):
    """The service was asked to start in production with an unsafe configuration."""


def intake_config() -> dict[str, Any]:
    """The intake + standards deployment (police side)."""
    env = os.environ.get("SAFE_REFERRAL_ENV", "development")
    return {
        "ENV_NAME": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEV_SECRET),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE / 'intake.sqlite'}"
        ),
        # Hidden parameters keep sealed blobs and answers out of error messages and logs.
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True, "pool_pre_ping": True},
        "REFERENCE_PEPPER": os.environ.get("REFERENCE_PEPPER", "").encode() or DEV_PEPPER,
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL", "memory://"),
        "SESSION_COOKIE_SECURE": env == "production",
        "SESSION_IDLE_MINUTES": int(os.environ.get("SESSION_IDLE_MINUTES", "30")),
        "NEUTRAL_EXIT_URL": os.environ.get("NEUTRAL_EXIT_URL", "https://www.bbc.co.uk/weather"),
        "PROVIDER_NAME": os.environ.get("PROVIDER_NAME", "the independent advisor service"),
        "MAX_CONTENT_LENGTH": 64 * 1024,
        # RFC 9106 second recommended option; tests may pass cheaper settings explicitly.
        "PHRASE_ARGON2": Argon2Params(time_cost=3, memory_kib=65536, parallelism=4),
    }


def console_config() -> dict[str, Any]:
    """The provider console deployment (provider side)."""
    env = os.environ.get("SAFE_REFERRAL_ENV", "development")
    return {
        "ENV_NAME": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEV_SECRET),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "CONSOLE_DATABASE_URL", f"sqlite:///{INSTANCE / 'console.sqlite'}"
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True, "pool_pre_ping": True},
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL", "memory://"),
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
        "LOGIN_ATTEMPTS_BEFORE_LOCKOUT": 5,
        "LOCKOUT_MINUTES": 15,
        "ADVISOR_ARGON2": Argon2Params(time_cost=3, memory_kib=65536, parallelism=4),
        "PROVIDER_NAME": os.environ.get("PROVIDER_NAME", "the independent advisor service"),
        "RETENTION_DAYS_AFTER_CLOSE": int(os.environ.get("RETENTION_DAYS_AFTER_CLOSE", "2190")),
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
    if "INTAKE_API_URL" in config and not config.get("INTAKE_API_TOKEN"):
        problems.append("INTAKE_API_TOKEN must be set so the console can sync")
    if str(config.get("INTAKE_API_URL", "https://")).startswith("http://"):
        problems.append("INTAKE_API_URL must use https")
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        problems.append("DATABASE_URL must point at PostgreSQL, not SQLite")
    if config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        problems.append("REDIS_URL must be set so rate limits are shared between instances")
    if problems:
        raise ConfigurationError("Refusing to start in production: " + "; ".join(problems))
