"""Casework pages: the inbox, a case, its exports, and adding a phone or email referral.

Thin views: the work is in `cases`, `casework`, `case_export`, `subject_access` and
`manual_cases`. The inbox decrypts only to learn, once, the urgency and contact choice of
cases nobody has seen yet (`cases.learn_for_inbox`); everything else goes through
`load_case`, which refuses a case whose key the advisor has not been granted.
"""

from __future__ import annotations

from typing import Any, cast

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.console import cases, casework, origin_checks, sla
from app.console.access import advisor_required, keyring, newest_recipient_key
from app.console.blueprint import bp
from app.console.case_access import advisor, load_case, refusal
from app.console.case_export import WORKFLOW, Export, Format, export_case
from app.console.case_forms import ManualCaseForm
from app.console.manual_cases import create_manual_case
from app.console.subject_access import Policy, export_for_referrer
from app.extensions import console_db as db
from app.workflow import CLOSURE_REASONS, SERVICES
from crypto.errors import DecryptionError

SOURCE_NAMES = {"online": "Online", "phone": "Phone", "email": "Email"}


def _choice(name: str, allowed: tuple[str, ...], default: str | None) -> str | None:
    value = request.args.get(name, "")
    return value if value in allowed else default


def _pagination(page: int, pages: int, url: Any) -> dict[str, Any] | None:
    """GOV.UK pagination: first, last and the pages either side of this one."""
    if pages <= 1:
        return None
    shown = sorted({1, pages, page - 1, page, page + 1} & set(range(1, pages + 1)))
    items: list[dict[str, Any]] = []
    for number in shown:
        if items and number - items[-1]["number"] > 1:
            items.append({"ellipsis": True, "number": number - 1})
        items.append({"number": number, "href": url(number), "current": number == page})
    return {
        "items": items,
        "previous": {"href": url(page - 1)} if page > 1 else None,
        "next": {"href": url(page + 1)} if page < pages else None,
        "landmarkLabel": "Pages of cases",
    }


@bp.get("/")
@advisor_required
def inbox() -> str:
    me = advisor()
    status = _choice("status", ("new", "open", "closed"), "new")
    service = _choice("service", tuple(SERVICES), None)
    assigned_arg = request.args.get("assigned", "")[:32]
    assigned = me.id if assigned_arg == "mine" else (assigned_arg or None)
    page_arg = request.args.get("page", "1")
    page_number = int(page_arg) if page_arg.isdigit() and len(page_arg) < 7 else 1
    chosen = cases.InboxFilter(cast(cases.Tab, status), service, assigned, page_number)
    # Withdrawals wait here for someone with a key to check their proof (G9).
    origin_checks.settle_withdrawals(db.session, me.email, keyring(), sla.today())
    result = cases.inbox(db.session, chosen, sla.today())
    if cases.learn_for_inbox(db.session, me, [row.case for row in result.rows], keyring()):
        result = cases.inbox(db.session, chosen, sla.today())  # the SLAs may have changed

    def url(**changes: Any) -> str:
        args = {"status": status, "service": service, "assigned": assigned_arg or None}
        return url_for("console.inbox", **(args | changes))

    return render_template(
        "console/cases/inbox.html",
        result=result,
        status=status,
        service=service or "",
        assigned=assigned_arg,
        advisors=cases.advisors(db.session),
        tab_url=lambda tab: url(status=tab, page=None),
        pagination=_pagination(result.page, result.pages, lambda n: url(page=n)),
        services=SERVICES,
        sources=SOURCE_NAMES,
        reference=cases.short_reference,
    )


@bp.get("/cases/<case_id>")
@advisor_required
def case(case_id: str) -> str:
    case, keys = load_case(case_id, "open_case")
    try:
        fields = cases.open_case(db.session, advisor(), case, keys)
    except DecryptionError:
        refusal(case, "open_case", damaged=True)
    origin_checks.settle_withdrawals(db.session, advisor().email, keys, sla.today())
    binding = origin_checks.binding_of(case, keys)
    verdicts = origin_checks.genuine_messages(case, binding)
    unproven = origin_checks.record_message_checks(db.session, advisor().email, case, verdicts)
    return render_template(
        "console/cases/case.html",
        case=case,
        reference=cases.short_reference(case.id),
        sections=casework.answer_sections(fields),
        messages=casework.thread(case, keys, verdicts),
        notes=casework.notes(case, keys),
        sla=cases.sla_of(case, sla.today()),
        workflow=WORKFLOW,
        can_reply=casework.can_reply(case) and binding is not None,
        unproven=unproven,
        closure_reasons=CLOSURE_REASONS,
        services=SERVICES,
        sources=SOURCE_NAMES,
        me=advisor(),
    )


@bp.get("/cases/<case_id>/export")
@advisor_required
def export(case_id: str) -> Response:
    case, keys = load_case(case_id, "export_case")
    fmt: Format = "json" if request.args.get("format") == "json" else "text"
    try:
        exported = export_case(db.session, advisor(), case, keys, fmt)
    except DecryptionError:
        refusal(case, "export_case", damaged=True)
    return _attachment(exported)


@bp.post("/cases/<case_id>/subject-access")
@advisor_required
def subject_access(case_id: str) -> Response:
    """The referrer's own copy (Art. 15): a form, so a CSRF token guards it like any change."""
    case, keys = load_case(case_id, "subject_access_export")
    policy = Policy.from_config(current_app.config)
    try:
        exported = export_for_referrer(db.session, advisor(), case, keys, policy, sla.today())
    except DecryptionError:
        refusal(case, "subject_access_export", damaged=True)
    return _attachment(exported)


def _attachment(exported: Export) -> Response:
    response = Response(exported.body, mimetype=exported.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/cases/new", methods=["GET", "POST"])
@advisor_required
def new_case() -> ResponseReturnValue:
    form = ManualCaseForm()
    today = sla.today()
    form.limit_dates(earliest=None, latest=today)
    if not form.is_submitted():
        form.on.data = today
    if form.validate_on_submit():
        created = create_manual_case(
            db.session,
            advisor(),
            source=form.source.data,
            received_on=form.day(),
            answers=form.answers(),
            recipient=newest_recipient_key(),
        )
        flash(f"Case {cases.short_reference(created.id)} added.", "success")
        return redirect(url_for("console.case", case_id=created.id), 303)
    return render_template("console/cases/new.html", form=form, back_url=url_for("console.inbox"))


# The action pages (assign, progress, close, notes, replies) register on import.
