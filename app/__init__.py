"""Safe Referral: one package, two deployments (DESIGN section 1).

`create_intake_app` is the police side: the anonymous intake, the delivery API and the
standards surface, on one database. `create_console_app` is the provider side: the provider
console on its own host and database. Each factory loads only its own surfaces; both share
the domain (questionnaire, workflow, return contract, accounts, disclosure) and the web
plumbing in `app/web/`.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from flask import Flask
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import console_config, intake_config, refuse_unsafe_production
from app.extensions import console_db, csrf, intake_db, limiter, login_manager, migrate
from app.web import errors, expensive, fair_use, headers, health, static_assets
from app.web.privacy_logging import configure_logging
from app.web.split_session import SplitSessionInterface

ROOT = Path(__file__).resolve().parent.parent
mimetypes.add_type("text/javascript", ".mjs")  # some systems lack it; modules need a JS type


def create_intake_app(overrides: dict[str, Any] | None = None) -> Flask:
    """The police side: intake, delivery API and standards, with the intake database."""
    from app import api, intake, standards
    from app.models.intake import DraftSession

    app = _new_app("intake", intake_config(), overrides)
    intake_db.init_app(app)
    migrate.init_app(app, intake_db, directory=str(ROOT / "migrations" / "intake"),
                     render_as_batch=True)
    _init_web(app)
    app.session_interface = SplitSessionInterface(intake_db, DraftSession)
    health.init_app(app, intake_db)  # /healthz, /readyz for the load balancer

    intake.init_app(app)  # /: anonymous referral and return with a phrase
    api.init_app(app)  # /api/v1: what the provider console pulls and pushes
    standards.init_app(app)  # /standards: DPS analysts' protected tables
    return app


def create_console_app(overrides: dict[str, Any] | None = None) -> Flask:
    """The provider side: the provider console, with its own database on its own host."""
    from app import console
    from app.models.console import ConsoleSession

    app = _new_app("console", console_config(), overrides)
    console_db.init_app(app)
    migrate.init_app(app, console_db, directory=str(ROOT / "migrations" / "console"),
                     render_as_batch=True)
    _init_web(app)
    login_manager.init_app(app)
    app.session_interface = SplitSessionInterface(console_db, ConsoleSession)
    health.init_app(app, console_db)  # /healthz, /readyz for the load balancer

    console.init_app(app)
    return app


def _new_app(surface: str, config: dict[str, Any], overrides: dict[str, Any] | None) -> Flask:
    configure_logging()
    app = Flask(
        __name__,
        static_folder=str(ROOT / "app" / "static"),
        template_folder=str(ROOT / "templates"),
        instance_path=str(ROOT / "instance"),
    )
    app.config["SURFACE"] = surface
    app.config.update(config)
    app.config.update(overrides or {})
    refuse_unsafe_production(app.config)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Who the client is, and whether it came over HTTPS, as the trusted proxies say;
        # a client's own X-Forwarded-For entries beyond them are ignored (G10).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    return app


def _init_web(app: Flask) -> None:
    """CSRF on every form, limits, security headers and plain-words error pages."""
    csrf.init_app(app)
    fair_use.register_strategy()  # before the limiter reads RATELIMIT_STRATEGY
    limiter.init_app(app)
    expensive.init_app(app)
    headers.init_app(app)
    static_assets.init_app(app)  # hashed, pre-compressed files before Flask sees the request
    errors.init_app(app)
