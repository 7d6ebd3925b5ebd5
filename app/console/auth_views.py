"""Sign-in, account setup and sign-out pages. Thin: app.console.accounts does the work.

Signing in takes two steps. After the password, the advisor's unwrapped private key waits in
the split session under PENDING (never the password itself); only a valid TOTP code moves it
to session["advisor_key"] and signs the advisor in with Flask-Login. Until then no guarded page
opens, because access.signed_in_advisor needs both.
"""

from __future__ import annotations

import time
from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from app.console import accounts, bp, totp
from app.console.access import SESSION_KEY, keyring, signed_in_advisor, signed_in_required
from app.console.account_forms import ChoosePasswordForm, CodeForm, SignInForm
from app.console.audit import record
from app.extensions import console_db, limiter, login_manager
from app.models.console import Advisor

Page = str | Response | tuple[str, int]
PENDING = "pending_sign_in"
SETUP = "pending_setup"
PENDING_SECONDS = 5 * 60  # the password step is only good for a few minutes
POST_LIMIT = "10 per minute"


def _no_identifier() -> str:
    # Flask-Login's default hashes the client IP and user agent into the session; we keep none.
    return ""


login_manager.login_view = "console.sign_in"
login_manager.session_protection = None
login_manager._session_identifier_generator = _no_identifier


@login_manager.user_loader
def load_advisor(advisor_id: str) -> Advisor | None:
    return console_db.session.get(Advisor, advisor_id)


def _fresh_session() -> None:
    """Empty the session and drop its row, so an id planted before sign-in is worthless after."""
    session.regenerate()  # type: ignore[attr-defined]


def _pending() -> dict[str, Any] | None:
    pending = session.get(PENDING)
    if not pending or time.time() - pending["since"] > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None
    return pending


def _landing() -> str:
    if keyring():
        return url_for(".inbox")
    if current_user.is_manager:
        return url_for(".team")
    return url_for(".no_access")


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(POST_LIMIT, methods=["POST"])
def sign_in() -> Page:
    if signed_in_advisor() is not None:
        return redirect(_landing())
    form = SignInForm()
    if form.validate_on_submit():
        try:
            advisor, key = accounts.check_password(form.email.data, form.password.data)
        except accounts.SignInRefused as refused:
            form.email.errors = [refused.message]
        else:
            _fresh_session()
            session[PENDING] = {
                "advisor": advisor.id,
                "key": key.to_bytes().hex(),
                "since": int(time.time()),
            }
            return redirect(url_for(".sign_in_code"), code=303)
    return render_template(
        "console/auth/sign_in.html", form=form, signed_out="signed_out" in request.args
    )


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit(POST_LIMIT, methods=["POST"])
def sign_in_code() -> Page:
    pending = _pending()
    if pending is None:
        return redirect(url_for(".sign_in"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            advisor = accounts.check_code(pending["advisor"], form.code.data)
        except accounts.SignInRefused as refused:
            if refused.locked:
                session.pop(PENDING, None)  # the unwrapped key goes with the attempt
                flash(refused.message)
                return redirect(url_for(".sign_in"), code=303)
            form.code.errors = [refused.message]
        else:
            _fresh_session()
            login_user(advisor)
            session.permanent = False
            session[SESSION_KEY] = pending["key"]
            return redirect(_landing(), code=303)
    return render_template("console/auth/code.html", form=form)


@bp.route("/setup/<token>", methods=["GET", "POST"])
@limiter.limit(POST_LIMIT, methods=["POST"])
def setup(token: str) -> Page:
    advisor = accounts.advisor_for_setup(token)
    if advisor is None:
        return render_template("console/auth/setup_invalid.html"), 404
    form = ChoosePasswordForm(advisor.email)
    if form.validate_on_submit():
        accounts.choose_password(advisor, form.password.data)
        _fresh_session()
        session[SETUP] = {"advisor": advisor.id, "token": token, "secret": totp.new_secret()}
        return redirect(url_for(".setup_two_factor"), code=303)
    return render_template("console/auth/setup_password.html", form=form, advisor=advisor)


@bp.route("/setup/two-factor", methods=["GET", "POST"])
@limiter.limit(POST_LIMIT, methods=["POST"])
def setup_two_factor() -> Page:
    state = session.get(SETUP)
    advisor = accounts.advisor_for_setup(state["token"]) if state else None
    if state is None or advisor is None or advisor.id != state["advisor"]:
        session.pop(SETUP, None)
        return render_template("console/auth/setup_invalid.html"), 404
    form = CodeForm()
    if form.validate_on_submit():
        if accounts.finish_setup(advisor, state["secret"], form.code.data):
            session.pop(SETUP)
            flash("Your account is ready. Sign in to continue.", "success")
            return redirect(url_for(".sign_in"), code=303)
        form.code.errors = [accounts.WRONG_CODE]
    uri = totp.provisioning_uri(state["secret"], advisor.email)
    return render_template(
        "console/auth/setup_two_factor.html",
        form=form,
        qr=totp.qr_svg(uri, "QR code to add this account to your authenticator app"),
        secret=totp.spaced(state["secret"]),
    )


@bp.get("/sign-out")
def sign_out() -> Response:
    """Ends the session: the split-session row (holding the advisor's key) is deleted."""
    advisor = signed_in_advisor()
    if advisor is not None:
        record(console_db.session, advisor.email, "sign_out", advisor.email)
    logout_user()
    session.clear()
    if advisor is None:
        return redirect(url_for(".sign_in"))
    return redirect(url_for(".sign_in", signed_out=1))


@bp.get("/no-access")
@signed_in_required
def no_access() -> str:
    """Signed in, but no manager has granted this account the provider key yet."""
    return render_template("console/auth/no_access.html")
