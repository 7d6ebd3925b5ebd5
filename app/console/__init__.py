"""The provider console surface: advisors sign in, read and work cases, talk to referrers."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Routes register on import; each module is one area of the console.
    from app.console import (  # noqa: F401
        auth_views,
        case_action_views,
        case_views,
        return_views,
        sync_views,
        team_views,
    )
    from app.console.blueprint import bp
    from app.console.commands import console_cli

    app.register_blueprint(bp)
    app.cli.add_command(console_cli)
