"""Who may see the standards pages, and the analysts' own sessions (deny by default).

Analysts and referrers use the same host, so their sessions are kept apart by construction:
requests under /standards open only the analysts' session (its own cookie, its own table,
its own idle limit) and every other request opens only the referrers'. Neither area's code
can read the other's state, so an analyst's browser holds no referral and a referrer's
session never unlocks a standards page.

Flask-Login runs on its own LoginManager here, distinct from the console's
(app.extensions.login_manager), and stores no client identifier in the session (G4).
"""

from __future__ import annotations

from flask import Flask, Request, Response, redirect, request, url_for
from flask.sessions import SessionInterface, SessionMixin
from flask_login import LoginManager, current_user
from werkzeug.wrappers import Response as BaseResponse

from app.extensions import intake_db as db
from app.models.standards import Analyst, AnalystSession
from app.standards.analysts import is_set_up
from app.web.split_session import SplitSessionInterface

PREFIX = "/standards"
PUBLIC_ENDPOINTS = {
    "standards.sign_in",
    "standards.sign_in_code",
    "standards.setup",
    "standards.setup_two_factor",
    "standards.sign_out",
}
analyst_login = LoginManager()
analyst_login.login_view = "standards.sign_in"
analyst_login.session_protection = None
# Flask-Login's default hashes the client IP and user agent into the session; keep none.
analyst_login._session_identifier_generator = lambda: ""


@analyst_login.user_loader
def _load(analyst_id: str) -> Analyst | None:
    return db.session.get(Analyst, analyst_id)


class AnalystSessions(SplitSessionInterface):
    """The split session (sealed, key only in the cookie) under its own name and idle limit."""

    def get_cookie_name(self, app: Flask) -> str:
        return "standards_session"

    def _idle_seconds(self, app: Flask) -> int:
        return int(app.config["STANDARDS_IDLE_MINUTES"]) * 60


class AreaSessions(SessionInterface):
    """Sends each request to its area's session interface, by path."""

    def __init__(self, referrers: SessionInterface, analysts: SessionInterface) -> None:
        self.referrers = referrers
        self.analysts = analysts

    def _for(self, req: Request) -> SessionInterface:
        in_standards = req.path == PREFIX or req.path.startswith(PREFIX + "/")
        return self.analysts if in_standards else self.referrers

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        return self._for(request).open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        self._for(request).save_session(app, session, response)


def init_app(app: Flask) -> None:
    analyst_login.init_app(app)
    app.session_interface = AreaSessions(app.session_interface, AnalystSessions(db, AnalystSession))


def signed_in_analyst() -> Analyst | None:
    """The analyst who completed password and code in this session, or None.

    Flask-Login's user id is set only after the code step (auth_views), so a session that
    has passed the password step alone is not signed in.
    """
    user = current_user
    if not user.is_authenticated or not isinstance(user, Analyst):
        return None
    # Deactivated or reset since signing in: out at once, on this very request.
    return user if user.active and is_set_up(user) else None


def require_analyst() -> BaseResponse | None:
    """before_request for the whole blueprint: anything not public needs a signed-in analyst."""
    if request.endpoint in PUBLIC_ENDPOINTS or signed_in_analyst() is not None:
        return None
    return redirect(url_for("standards.sign_in"))
