"""The demonstration, kept outside the product: demo keys, a synthetic history and both apps
side by side on SQLite (`make run`). Nothing in `app/` imports this package."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_intake_app(overrides: dict[str, Any] | None = None) -> Flask:
    """The police-side app with `flask demo-data` added: for demo instances only, so no
    production app ever has the command (`flask --app 'demo:create_intake_app' demo-data`)."""
    from app import create_intake_app as create_product_intake_app
    from demo.cli import demo_data_command

    app = create_product_intake_app(overrides)
    app.cli.add_command(demo_data_command)
    return app
