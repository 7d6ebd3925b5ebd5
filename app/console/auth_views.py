"""The console's sign-in, setup and sign-out pages: app.accounts.views with the advisors' store.

What is the console's own: after the password, the advisor's unwrapped private key waits in
the split session (never the password itself); only a valid code moves it to
session["advisor_key"], where access.signed_in_advisor looks for it. And the 'no access yet'
page for an advisor no manager has granted a key.
"""

from __future__ import annotations

from flask import render_template, session, url_for
from flask_login import current_user

from app.accounts.views import AuthPages, register
from app.console.access import SESSION_KEY, keyring, signed_in_advisor, signed_in_required
from app.console.accounts import STORE
from app.console.blueprint import bp
from app.extensions import console_db, login_manager
from app.models.console import Advisor


def _no_identifier() -> str:
    # Flask-Login's default hashes the client IP and user agent into the session; we keep none.
    return ""


login_manager.login_view = "console.sign_in"
login_manager.session_protection = None
login_manager._session_identifier_generator = _no_identifier


@login_manager.user_loader
def load_advisor(advisor_id: str) -> Advisor | None:
    return console_db.session.get(Advisor, advisor_id)


def _landing() -> str:
    if keyring():
        return url_for(".inbox")
    if current_user.is_manager:
        return url_for(".team")
    return url_for(".no_access")


def _keep_key(advisor: Advisor, unlocked: str | None) -> None:
    session[SESSION_KEY] = unlocked


register(
    bp,
    AuthPages(
        store=STORE,
        layout="console/layout.html",
        contact="your manager",
        signed_in=signed_in_advisor,
        landing=_landing,
        on_sign_in=_keep_key,
        setup_note=(
            "Your password also protects the key that opens cases. Nobody can reset it for you "
            "without removing your access to cases, so choose one you will remember and do not "
            "use it anywhere else."
        ),
    ),
)


@bp.get("/no-access")
@signed_in_required
def no_access() -> str:
    """Signed in, but no manager has granted this account the provider key yet."""
    return render_template("console/auth/no_access.html")
