"""Analyst sign-in (password, then a TOTP code), account setup and sign-out. Thin views.

After the password, only the analyst's id waits in the session under PENDING, for a few
minutes; Flask-Login's user id is set only once the code is right, so no page opens on a
password alone. Each step starts a fresh session, so an id planted beforehand is worthless.
"""

from __future__ import annotations

import time

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from app import two_factor
from app.extensions import limiter
from app.standards import analysts
from app.standards.access import signed_in_analyst
from app.standards.blueprint import bp
from app.standards.forms import ChoosePasswordForm, CodeForm, SignInForm

Page = str | Response | tuple[str, int]
PENDING = "pending_sign_in"
SETUP = "pending_setup"
PENDING_SECONDS = 5 * 60
POST_LIMIT = "10 per minute"


def _fresh_session() -> None:
    session.regenerate()  # type: ignore[attr-defined]


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(POST_LIMIT, methods=["POST"])
def sign_in() -> Page:
    if signed_in_analyst() is not None:
        return redirect(url_for(".dashboard"))
    form = SignInForm()
    if form.validate_on_submit():
        try:
            analyst = analysts.check_password(form.email.data, form.password.data)
        except analysts.SignInRefused as refused:
            form.email.errors = [refused.message]
        else:
            _fresh_session()
            session[PENDING] = {"analyst": analyst.id, "since": int(time.time())}
            return redirect(url_for(".sign_in_code"), code=303)
    return render_template(
        "standards/auth/sign_in.html", form=form, signed_out="signed_out" in request.args
    )


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit(POST_LIMIT, methods=["POST"])
def sign_in_code() -> Page:
    pending = session.get(PENDING)
    if not pending or time.time() - pending["since"] > PENDING_SECONDS:
        session.pop(PENDING, None)
        return redirect(url_for(".sign_in"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            analyst = analysts.check_code(pending["analyst"], form.code.data)
        except analysts.SignInRefused as refused:
            if refused.locked:
                session.pop(PENDING, None)
                flash(refused.message)
                return redirect(url_for(".sign_in"), code=303)
            form.code.errors = [refused.message]
        else:
            _fresh_session()
            login_user(analyst)
            return redirect(url_for(".dashboard"), code=303)
    return render_template("standards/auth/code.html", form=form)


@bp.route("/setup/<token>", methods=["GET", "POST"])
@limiter.limit(POST_LIMIT, methods=["POST"])
def setup(token: str) -> Page:
    analyst = analysts.for_setup(token)
    if analyst is None:
        return render_template("standards/auth/setup_invalid.html"), 404
    form = ChoosePasswordForm(analyst.email)
    if form.validate_on_submit():
        analysts.choose_password(analyst, form.password.data)
        _fresh_session()
        session[SETUP] = {"analyst": analyst.id, "token": token, "secret": two_factor.new_secret()}
        return redirect(url_for(".setup_two_factor"), code=303)
    return render_template("standards/auth/setup_password.html", form=form, analyst=analyst)


@bp.route("/setup/two-factor", methods=["GET", "POST"])
@limiter.limit(POST_LIMIT, methods=["POST"])
def setup_two_factor() -> Page:
    state = session.get(SETUP)
    analyst = analysts.for_setup(state["token"]) if state else None
    if state is None or analyst is None or analyst.id != state["analyst"]:
        session.pop(SETUP, None)
        return render_template("standards/auth/setup_invalid.html"), 404
    form = CodeForm()
    if form.validate_on_submit():
        if analysts.finish_setup(analyst, state["secret"], form.code.data):
            session.pop(SETUP)
            flash("Your account is ready. Sign in to continue.", "success")
            return redirect(url_for(".sign_in"), code=303)
        form.code.errors = [analysts.WRONG_CODE]
    uri = analysts.provisioning_uri(state["secret"], analyst.email)
    return render_template(
        "standards/auth/setup_two_factor.html",
        form=form,
        qr=two_factor.qr_svg(uri, "QR code to add this account to your authenticator app"),
        secret=two_factor.spaced(state["secret"]),
    )


@bp.get("/sign-out")
def sign_out() -> Response:
    """Ends the session: its row is deleted and the cookie cleared."""
    was_signed_in = signed_in_analyst() is not None
    logout_user()
    session.clear()
    return redirect(url_for(".sign_in", signed_out=1) if was_signed_in else url_for(".sign_in"))
