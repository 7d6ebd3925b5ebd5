"""The standards surface: what DPS analysts see (DESIGN 1, 7; G5, G6).

Protected aggregates only: intake's own tables for completed periods, measured from clear
workflow dates, and the provider's statistical returns, each released once and never
revised. `init_app` wires the surface into the intake app.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Settings, analysts' sessions and login, the blueprint and the `flask standards`
    commands."""
    from app.standards import access, auth_views, dashboard_views, settings  # noqa: F401
    from app.standards.blueprint import bp
    from app.standards.cli import standards_cli

    settings.init_app(app)
    access.init_app(app)
    app.register_blueprint(bp)
    app.cli.add_command(standards_cli)
