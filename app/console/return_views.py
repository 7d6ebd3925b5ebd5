"""The quarterly statistical return: the manager previews exactly what will leave, then sends it.

Manager only: preparing a return opens every case received in the quarter, with the keys of
the signed-in manager (audited). The submit form carries the digest of the preview, so what
is sent is exactly what the manager saw; if anything changed in between (a late sync, a
purge), the console shows the new preview instead of sending figures nobody looked at.
"""

from __future__ import annotations

import json

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import HiddenField

from app.console import sla
from app.console import statistical_return as returns
from app.console.access import keyring, manager_required, signed_in_advisor
from app.console.blueprint import bp
from app.console.intake_client import IntakeUnavailable, client_from_config
from app.disclosure import Period, display
from app.extensions import console_db as db
from app.models.console import Advisor


class SubmitReturnForm(FlaskForm):
    digest = HiddenField()


def _manager() -> Advisor:
    manager = signed_in_advisor()
    if manager is None:  # manager_required has already checked; this is for the type checker
        abort(403)
    return manager


def _quarter(period: str) -> Period:
    quarter = returns.period_from_url(period)
    if quarter is None:
        abort(404)
    return quarter


def _prepare(quarter: Period) -> returns.StatisticalReturn:
    return returns.prepare_return(
        db.session,
        _manager(),
        quarter,
        sla.today(),
        keyring(),
        returns.rules_from_config(current_app.config),
    )


def _not_ready(quarter: Period, error: returns.ReturnNotReady) -> ResponseReturnValue:
    page = render_template(
        "console/returns/not_ready.html",
        period=quarter,
        reason=str(error),
        back_url=url_for(".returns_index"),
    )
    return page, 409


@bp.get("/returns")
@manager_required
def returns_index() -> str:
    return render_template(
        "console/returns/index.html",
        quarters=returns.quarters_to_report(db.session, sla.today()),
        submitted=returns.submitted_on(db.session),
        url_label=returns.url_label,
    )


@bp.get("/returns/<period>")
@manager_required
def return_preview(period: str) -> ResponseReturnValue:
    quarter = _quarter(period)
    try:
        prepared = _prepare(quarter)
    except returns.ReturnNotReady as error:
        return _not_ready(quarter, error)
    return render_template(
        "console/returns/preview.html",
        prepared=prepared,
        period_url=period,
        payload=json.dumps(prepared.payload(), indent=2),
        categories=returns.CATEGORIES,
        captions=returns.CAPTIONS,
        display=display,
        submitted=returns.submitted_on(db.session).get(quarter.label),
        form=SubmitReturnForm(digest=prepared.digest()),
        back_url=url_for(".returns_index"),
    )


@bp.post("/returns/<period>")
@manager_required
def submit_return(period: str) -> ResponseReturnValue:
    quarter = _quarter(period)
    preview = url_for(".return_preview", period=period)
    form = SubmitReturnForm()
    if not form.validate_on_submit():  # a bad or missing CSRF token
        flash("The page had expired. Check the return again before sending it.")
        return redirect(preview, code=303)
    try:
        prepared = _prepare(quarter)
    except returns.ReturnNotReady as error:
        return _not_ready(quarter, error)
    if form.digest.data != prepared.digest():
        flash("The figures changed since you checked them. Check the return again, then send it.")
        return redirect(preview, code=303)
    try:
        answer = returns.submit_return(
            db.session, _manager(), prepared, client_from_config(current_app.config)
        )
    except returns.ReturnRefused as error:
        flash(f"The referral website did not accept the return for {quarter.label}: {error}")
        return redirect(preview, code=303)
    except IntakeUnavailable:
        flash("The referral website could not be reached, so nothing was sent. Try again later.")
        return redirect(preview, code=303)
    flash(f"The return for {quarter.label} was sent.", "success")
    if withheld := answer.get("withheld_by_intake"):
        # Intake's audit of everything released withheld more: the manager must know.
        flash(f"The referral website released the return for {quarter.label}. {withheld}")
    return redirect(url_for(".returns_index"), code=303)
