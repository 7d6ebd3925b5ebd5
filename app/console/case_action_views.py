"""The pages that change a case: assign, record progress, close, add a note, reply.

One small form per page (the GOV.UK pattern), each behind `load_case`, so an advisor
without a grant for the case's key can change nothing about it either.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from wtforms.fields.choices import SelectChoice

from app.console import cases, casework, origin_checks, sla
from app.console.access import advisor_required, newest_recipient_key
from app.console.blueprint import bp
from app.console.case_access import advisor, load_case
from app.console.case_forms import (
    AssignForm,
    CloseForm,
    DatedForm,
    NoteForm,
    ProgressForm,
    ReplyForm,
)
from app.extensions import console_db as db
from app.models.console import Case
from app.workflow import CLOSURE_REASONS, EVENTS


def _back(case: Case) -> str:
    return url_for("console.case", case_id=case.id)


def _done(message: str) -> None:
    """A GOV.UK success banner on the case page, so the advisor knows it worked."""
    flash(message, "success")


def _page(template: str, case: Case, **context: object) -> str:
    return render_template(
        f"console/cases/{template}",
        case=case,
        reference=cases.short_reference(case.id),
        back_url=_back(case),
        **context,
    )


def _dated(form: DatedForm, case: Case) -> None:
    today = sla.today()
    form.limit_dates(earliest=case.received_on, latest=today)
    if not form.is_submitted():
        form.on.data = today


@bp.route("/cases/<case_id>/assign", methods=["GET", "POST"])
@advisor_required
def assign(case_id: str) -> ResponseReturnValue:
    case, _ = load_case(case_id, "assign_case")
    me = advisor()
    # An advisor takes a case for themselves; the manager can give it to anyone.
    people = cases.advisors(db.session) if me.is_manager else [me]
    form = AssignForm()
    form.advisor.choices = [SelectChoice(p.id, f"{p.name} ({p.email})") for p in people]
    if form.validate_on_submit():
        chosen = next(p for p in people if p.id == form.advisor.data)
        cases.assign(db.session, me, case, chosen)
        _done("You assigned this case to yourself." if chosen.id == me.id
              else f"You assigned this case to {chosen.name}.")
        return redirect(_back(case), 303)
    if not form.is_submitted():
        form.advisor.data = case.assigned_to
    return _page("assign.html", case, form=form)


@bp.route("/cases/<case_id>/progress", methods=["GET", "POST"])
@advisor_required
def progress(case_id: str) -> ResponseReturnValue:
    case, _ = load_case(case_id, "case_event")
    form = ProgressForm()
    _dated(form, case)
    if form.validate_on_submit():
        cases.record_event(db.session, advisor(), case, form.event.data, form.day())
        _done(f"Progress saved: {EVENTS[form.event.data].heading.lower()} on "
              f"{form.day():%-d %B %Y}.")
        return redirect(_back(case), 303)
    return _page("progress.html", case, form=form)


@bp.route("/cases/<case_id>/close", methods=["GET", "POST"])
@advisor_required
def close(case_id: str) -> ResponseReturnValue:
    case, _ = load_case(case_id, "case_event")
    form = CloseForm()
    _dated(form, case)
    if form.validate_on_submit():
        cases.record_event(
            db.session, advisor(), case, "closed", form.day(), reason=form.reason.data
        )
        _done(f"Case closed: {CLOSURE_REASONS[form.reason.data].lower()}.")
        return redirect(_back(case), 303)
    if not form.is_submitted() and case.closure_reason:
        form.reason.data = case.closure_reason
    return _page("close.html", case, form=form)


@bp.route("/cases/<case_id>/notes/new", methods=["GET", "POST"])
@advisor_required
def add_note(case_id: str) -> ResponseReturnValue:
    case, _ = load_case(case_id, "add_note")
    form = NoteForm()
    if form.validate_on_submit():
        casework.add_note(db.session, advisor(), case, form.body.data, newest_recipient_key())
        _done("Note added.")
        return redirect(_back(case) + "#notes", 303)
    return _page("note.html", case, form=form)


@bp.route("/cases/<case_id>/reply", methods=["GET", "POST"])
@advisor_required
def reply(case_id: str) -> ResponseReturnValue:
    case, keys = load_case(case_id, "send_reply")
    referrer = origin_checks.binding_of(case, keys)
    if not casework.can_reply(case) or referrer is None:
        abort(404)  # no referrer key inside the envelope, or intake takes no more replies
    form = ReplyForm()
    if form.validate_on_submit():
        casework.send_reply(
            db.session, advisor(), case, form.body.data, newest_recipient_key(), sla.today(),
            referrer,
        )
        _done("Reply sent. The referrer will see it when they next return with their "
              "reference phrase.")
        return redirect(_back(case) + "#messages", 303)
    return _page("reply.html", case, form=form)
