"""Safe Referral: one package, two deployments.

`create_intake_app` is the police-side deployment (the anonymous intake; later the standards
surface and the delivery API). The provider console is a second app from this package with
its own database (DESIGN section 1).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from flask import Flask
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from app import errors, security
from app.config import console_config, intake_config, refuse_unsafe_production
from app.extensions import console_db, csrf, intake_db, limiter, login_manager, migrate
from app.models.console import ConsoleSession
from app.models.intake import DraftSession
from app.privacy_logging import configure_logging
from app.split_session import SplitSessionInterface

ROOT = Path(__file__).resolve().parent.parent
mimetypes.add_type("text/javascript", ".mjs")  # some systems lack it; modules need a JS type


def create_intake_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = _new_app("intake")
    app.config.update(intake_config())
    app.config.update(overrides or {})
    refuse_unsafe_production(app.config)

    intake_db.init_app(app)
    migrate.init_app(
        app, intake_db, directory=str(ROOT / "migrations" / "intake"), render_as_batch=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    security.init_app(app)
    app.session_interface = SplitSessionInterface(intake_db, DraftSession)

    from app.api import bp as api_bp
    from app.api.cli import tokens_cli
    from app.demo_data_cli import demo_data_command
    from app.intake import bp as intake_bp
    from app.intake.cli import recipients_cli
    from app.standards import init_app as init_standards
    from app.standards.cli import standards_cli

    app.register_blueprint(intake_bp)
    app.register_blueprint(api_bp)
    # The delivery API authenticates with bearer tokens, never cookies, so CSRF cannot apply.
    csrf.exempt(api_bp)
    app.cli.add_command(recipients_cli)
    app.cli.add_command(tokens_cli)
    init_standards(app)  # /standards: DPS analysts' protected tables (own login and sessions)
    app.cli.add_command(standards_cli)
    app.cli.add_command(demo_data_command)  # `flask demo-data`: synthetic history for demos
    errors.init_app(app)
    return app


def create_console_app(overrides: dict[str, Any] | None = None) -> Flask:
    """The provider console: its own database, on the provider's own host."""
    app = _new_app("console")
    app.config.update(console_config())
    app.config.update(overrides or {})
    refuse_unsafe_production(app.config)

    console_db.init_app(app)
    migrate.init_app(
        app, console_db, directory=str(ROOT / "migrations" / "console"), render_as_batch=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    security.init_app(app)
    login_manager.init_app(app)
    app.session_interface = SplitSessionInterface(console_db, ConsoleSession)

    from app.console import bp as console_bp
    from app.console.cli import console_cli

    app.register_blueprint(console_bp)
    app.cli.add_command(console_cli)
    errors.init_app(app)
    return app


def _new_app(surface: str) -> Flask:
    configure_logging()
    app = Flask(
        __name__,
        static_folder=str(ROOT / "app" / "static"),
        template_folder=str(ROOT / "templates"),
        instance_path=str(ROOT / "instance"),
    )
    app.config["SURFACE"] = surface
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
