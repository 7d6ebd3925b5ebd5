"""The provider console surface: advisors sign in, read and work cases, talk to referrers."""

from flask import Blueprint

bp = Blueprint("console", __name__)

# Routes register on import; each module is one area of the console.
from app.console import (  # noqa: E402, F401
    auth_views,
    case_views,
    return_views,
    sync_views,
    team_views,
)
