"""The intake surface: anonymous self-referral, and return with a reference phrase."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.intake.cli import recipients_cli, retention_cli
    from app.intake.views import bp  # routes register on import

    app.register_blueprint(bp)
    app.cli.add_command(recipients_cli)
    app.cli.add_command(retention_cli)
