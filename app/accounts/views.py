"""The sign-in, setup and sign-out pages, registered by each surface on its own blueprint.

`register(bp, pages)` adds `sign_in`, `sign_in_code`, `setup`, `setup_two_factor` and
`sign_out` to the blueprint, so the URL prefix is the blueprint's; `AuthPages` carries the
surface's store, layout, wording and what happens once someone is signed in.

Signing in takes two steps. After the password, only the account's id (and whatever the
password unlocked, for the console the advisor's private key, never the password itself)
waits in the split session under PENDING, for a few minutes and a few codes; Flask-Login's
user id is set only once a code is right, so no page opens on a password alone. Each step
starts a fresh session, so a session id planted beforehand is worthless afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from app.accounts import flow, throttle, totp
from app.accounts.forms import ChoosePasswordForm, CodeForm, SignInForm
from app.accounts.store import A, AccountStore
from app.extensions import limiter

Page = str | Response | tuple[str, int] | tuple[str, int, dict[str, str]]
PENDING = "pending_sign_in"
SETUP = "pending_setup"
PENDING_SECONDS = 5 * 60  # the password step is only good for a few minutes
CODES_PER_PASSWORD = 3  # then the password again (and the throttle counts every wrong code)
# Per client (Flask-Limiter's anonymous client key), beside the per-address throttle.
POST_LIMITS = "10 per minute;60 per hour"


def _nothing(account: Any, unlocked: str | None) -> None:
    return None


@dataclass(frozen=True)
class AuthPages(Generic[A]):
    """What one surface brings to the shared pages."""

    store: AccountStore[A]
    layout: str  # the template the pages extend
    contact: str  # who gives out new setup links, as in "ask your manager"
    signed_in: Callable[[], A | None]  # the person fully signed in on this request, if any
    landing: Callable[[], str]  # where someone goes once signed in (a URL)
    on_sign_in: Callable[[A, str | None], None] = field(default=_nothing)
    setup_note: str = ""  # an extra paragraph on the password page


def _fresh_session() -> None:
    """Empty the session and drop its row, so an id planted before sign-in is worthless after."""
    session.regenerate()  # type: ignore[attr-defined]  # SplitSession (app.web.split_session)


def _pending() -> dict[str, Any] | None:
    pending = session.get(PENDING)
    if not pending or time.time() - pending["since"] > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None
    return dict(pending)


def _render(pages: AuthPages[A], template: str, **context: Any) -> str:
    return render_template(
        f"accounts/{template}",
        layout=pages.layout,
        contact=pages.contact,
        sign_in_url=url_for(".sign_in"),
        sign_out_url=url_for(".sign_out"),
        **context,
    )


def _waiting(page: str, seconds: int) -> tuple[str, int, dict[str, str]]:
    return page, 429, {"Retry-After": str(seconds)}


def register(bp: Blueprint, pages: AuthPages[A]) -> None:
    """Add the account pages to `bp` for one surface."""

    def sign_in() -> Page:
        if pages.signed_in() is not None:
            return redirect(pages.landing())
        form = SignInForm()
        if form.validate_on_submit():
            try:
                account, unlocked = flow.check_password(
                    pages.store, form.email.data, form.password.data
                )
            except flow.SignInRefused as refused:
                form.email.errors = [refused.message]
                if refused.wait:
                    return _waiting(_render(pages, "sign_in.html", form=form), refused.wait)
            else:
                _fresh_session()
                session[PENDING] = {
                    "account": account.id,
                    "key": unlocked,
                    "since": int(time.time()),
                    "codes": 0,
                }
                return redirect(url_for(".sign_in_code"), code=303)
        return _render(pages, "sign_in.html", form=form, signed_out="signed_out" in request.args)

    def sign_in_code() -> Page:
        pending = _pending()
        if pending is None:
            return redirect(url_for(".sign_in"))
        form = CodeForm()
        if form.validate_on_submit():
            try:
                account = flow.check_code(
                    pages.store, pending["account"], form.code.data, pages.contact
                )
            except flow.SignInRefused as refused:
                if refused.wait:
                    form.code.errors = [refused.message]
                    return _waiting(_render(pages, "code.html", form=form), refused.wait)
                pending["codes"] = pending.get("codes", 0) + 1
                if pending["codes"] >= CODES_PER_PASSWORD:
                    session.pop(PENDING, None)  # the unwrapped key goes with the attempt
                    flash("Enter your email address and password again")
                    return redirect(url_for(".sign_in"), code=303)
                session[PENDING] = pending
                form.code.errors = [refused.message]
            else:
                _fresh_session()
                login_user(account)
                session.permanent = False
                pages.on_sign_in(account, pending.get("key"))
                return redirect(pages.landing(), code=303)
        return _render(pages, "code.html", form=form)

    def setup(token: str) -> Page:
        account = flow.account_for_setup(pages.store, token)
        if account is None:
            return _render(pages, "setup_invalid.html"), 404
        form = ChoosePasswordForm(account.email)
        if form.validate_on_submit():
            flow.choose_password(pages.store, account, form.password.data)
            _fresh_session()
            session[SETUP] = {"account": account.id, "token": token, "secret": totp.new_secret()}
            return redirect(url_for(".setup_two_factor"), code=303)
        return _render(
            pages, "setup_password.html", form=form, account=account, note=pages.setup_note
        )

    def setup_two_factor() -> Page:
        state = session.get(SETUP)
        account = flow.account_for_setup(pages.store, state["token"]) if state else None
        if state is None or account is None or account.id != state["account"]:
            session.pop(SETUP, None)
            return _render(pages, "setup_invalid.html"), 404
        form = CodeForm()
        if form.validate_on_submit():
            if flow.finish_setup(pages.store, account, state["secret"], form.code.data):
                session.pop(SETUP)
                flash("Your account is ready. Sign in to continue.", "success")
                return redirect(url_for(".sign_in"), code=303)
            form.code.errors = [flow.WRONG_CODE]
        uri = flow.provisioning_uri(pages.store, state["secret"], account.email)
        return _render(
            pages,
            "setup_two_factor.html",
            form=form,
            qr=totp.qr_svg(uri, "QR code to add this account to your authenticator app"),
            secret=totp.spaced(state["secret"]),
        )

    def sign_out() -> Response:
        """Ends the session: its stored row (holding any unwrapped key) is deleted."""
        account = pages.signed_in()
        if account is not None:
            pages.store.audit(account.email, "sign_out", account.email)
        logout_user()
        session.clear()
        if account is None:
            return redirect(url_for(".sign_in"))
        return redirect(url_for(".sign_in", signed_out=1))

    posts = ["GET", "POST"]
    _add(bp, "/sign-in", sign_in, posts, limited=True)
    _add(bp, "/sign-in/code", sign_in_code, posts, limited=True)
    _add(bp, "/setup/<token>", setup, posts, limited=True)
    _add(bp, "/setup/two-factor", setup_two_factor, posts, limited=True)
    _add(bp, "/sign-out", sign_out, ["GET"], limited=False)
    bp.record_once(lambda state: throttle.init_app(state.app))


def _add(
    bp: Blueprint, rule: str, view: Callable[..., Any], methods: list[str], limited: bool
) -> None:
    endpoint = view.__name__
    # Flask-Limiter keys a decorated view's limits by its qualified name: give each surface's
    # copy its own, so the two surfaces' pages never share (or double) a limit.
    view.__name__ = view.__qualname__ = f"{bp.name}_{endpoint}"
    if limited:
        view = limiter.limit(POST_LIMITS, methods=["POST"])(view)
    bp.add_url_rule(rule, endpoint, view, methods=methods)
