"""The delivery API (DESIGN section 1): JSON under /api/v1, for the provider console only.

The console pulls sealed referrals and referrer messages and pushes back sealed replies and
content-free workflow dates. docs/openapi.yaml is the contract; tests check every response
against it. Authentication is a per-recipient bearer token, never a cookie, so CSRF cannot
apply and the blueprint is exempt from it.
"""

from __future__ import annotations

from flask import Flask

from app.extensions import csrf
from app.web.errors import answer_under


def init_app(app: Flask) -> None:
    from app.api import (  # noqa: F401  (routes register on import)
        audit_heads,
        key_sets,
        returns,
        views,
    )
    from app.api.blueprint import bp
    from app.api.cli import tokens_cli
    from app.api.errors import http_error

    app.register_blueprint(bp)
    csrf.exempt(bp)
    answer_under(app, "/api/", http_error)  # unmatched /api/ paths answer in JSON too
    app.cli.add_command(tokens_cli)
