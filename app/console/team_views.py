"""Team and keys: the manager's pages. Thin: accounts and provider_keys do the work.

Pages that show a secret once (a setup link, a recovery key) render it straight from the POST
that created it: it never goes into the session, a flash message or a redirect URL.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.accounts.links import setup_link
from app.console import accounts, provider_keys
from app.console.access import keyring, manager_required, signing_key
from app.console.account_forms import ActionForm, InviteForm
from app.console.blueprint import bp
from app.extensions import console_db as db
from app.models.console import Advisor, RecipientKeyRecord
from crypto.keys import PublicKey

Page = str | Response


def _team_page(invite_form: InviteForm | None = None) -> str:
    advisors = db.session.scalars(select(Advisor).order_by(Advisor.name)).all()
    return render_template(
        "console/team/index.html",
        advisors=advisors,
        status=accounts.status,
        has_access=provider_keys.holds_grant,
        keys=[(r, PublicKey.from_bytes(r.public_key)) for r in provider_keys.records()],
        invite_form=invite_form or InviteForm(),
        action_form=ActionForm(),
    )


@bp.get("/team")
@manager_required
def team() -> str:
    return _team_page()


@bp.post("/team/invite")
@manager_required
def invite() -> Page:
    form = InviteForm()
    if form.validate_on_submit():
        try:
            token = accounts.invite(
                form.email.data, form.name.data, form.role.data, current_user.email
            )
        except accounts.AccountError as error:
            form.email.errors = [str(error)]
        else:
            return _setup_link_page(form.email.data, token)
    return _team_page(form)


def _setup_link_page(email: str, token: str) -> str:
    return render_template(
        "console/team/setup_link.html",
        email=email,
        link=setup_link(accounts.BASE_URL, bp.url_prefix or "", token),
        hours=accounts.INVITE_HOURS,
    )


@bp.post("/team/keys")
@manager_required
def create_key() -> Page:
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        new_key = provider_keys.create_first_key(current_user)
    except provider_keys.CustodyError as error:
        flash(str(error))
        return redirect(url_for(".team"), code=303)
    return render_template("console/team/new_key.html", new_key=new_key)


@bp.route("/team/keys/rotate", methods=["GET", "POST"])
@manager_required
def rotate_key() -> Page:
    form = ActionForm()
    if form.validate_on_submit():
        try:
            new_key = provider_keys.rotate(current_user, keyring(), signing_key())
        except provider_keys.CustodyError as error:
            flash(str(error))
            return redirect(url_for(".team"), code=303)
        return render_template("console/team/new_key.html", new_key=new_key)
    return render_template("console/team/rotate.html", form=form, current=provider_keys.newest())


@bp.get("/team/keys/<key_id>/public-key")
@manager_required
def public_key_file(key_id: str) -> Response:
    """The public key file for the intake operator (`flask recipients register`/`rotate`)."""
    record = db.session.get(RecipientKeyRecord, key_id)
    if record is None:
        abort(404)
    return Response(
        PublicKey.from_bytes(record.public_key).to_text(),
        mimetype="text/plain",
        headers={
            "Content-Disposition": (
                f'attachment; filename="provider-public-key-generation-{record.generation}.txt"'
            )
        },
    )


def _grant(advisor: Advisor) -> str:
    count = provider_keys.grant_access(current_user, advisor, keyring(), signing_key())
    return f"{advisor.name} can now open cases ({count} key generations)"


def _revoke(advisor: Advisor) -> str:
    provider_keys.revoke_access(advisor, current_user.email)
    return f"{advisor.name} can no longer open cases"


def _deactivate(advisor: Advisor) -> str:
    accounts.deactivate(advisor, current_user.email)
    return f"{advisor.name}’s account is deactivated and their access removed"


def _reactivate(advisor: Advisor) -> str:
    accounts.reactivate(advisor, current_user.email)
    return f"{advisor.name}’s account is active again. Grant access if they need it"


ACTIONS: dict[str, Callable[[Advisor], str]] = {
    "grant": _grant,
    "revoke": _revoke,
    "deactivate": _deactivate,
    "reactivate": _reactivate,
}
NOT_ON_YOURSELF = {"revoke", "deactivate", "reset"}  # a manager cannot lock themselves out


@bp.post("/team/<advisor_id>/<action>")
@manager_required
def advisor_action(advisor_id: str, action: str) -> Page:
    advisor = db.session.get(Advisor, advisor_id)
    if advisor is None or (action not in ACTIONS and action != "reset"):
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    if action in NOT_ON_YOURSELF and advisor.id == current_user.id:
        flash("You cannot do that to your own account. Ask another manager")
        return redirect(url_for(".team"), code=303)
    if action == "reset":
        return _setup_link_page(advisor.email, accounts.reset_sign_in(advisor, current_user.email))
    try:
        flash(ACTIONS[action](advisor), "success")
    except (accounts.AccountError, provider_keys.CustodyError) as error:
        flash(str(error))
    return redirect(url_for(".team"), code=303)
