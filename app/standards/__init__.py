"""The standards surface: what DPS analysts see (DESIGN 1, 7; G5, G6).

Protected aggregates only: intake's own tables for completed periods, measured from clear
workflow dates, and the provider's statistical returns, each released once and never
revised. Importing this package is cheap and has no side effects (the provider console may
import the catalogue); `init_app` wires the surface into the intake app.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Settings, analysts' sessions and login, the rate-limit-store guard, the blueprint."""
    from app.standards import access, guard, settings
    from app.standards.blueprint import bp

    settings.init_app(app)
    guard.init_app(app)
    access.init_app(app)
    app.register_blueprint(bp)
