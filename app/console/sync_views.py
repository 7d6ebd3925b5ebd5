"""The sync page: when the console last heard from intake, what it refused, and a button to
sync now.

Advisors only (a grant holder): the run itself needs no key, but the page says how many
cases arrived, which is casework information. The form is CSRF protected like every POST.
Refusals (impossible or forged events from intake, G9) are read back from the audit log, where
the sync recorded each one with its case and reason only.
"""

from __future__ import annotations

import json

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.console import audit
from app.console.access import advisor_required, signed_in_advisor
from app.console.blueprint import bp
from app.console.cases import short_reference
from app.console.sync import run_sync
from app.extensions import console_db as db
from app.models.console import AuditEntry

RECENT_REFUSALS = 20


class SyncForm(FlaskForm):
    """No fields: the form exists for its CSRF token."""


@bp.get("/sync")
@advisor_required
def sync_page() -> str:
    last = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.actor == "sync", AuditEntry.action == "sync")
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).first()
    counts = json.loads(last.detail) if last and last.detail else {}
    refusals = db.session.scalars(
        select(AuditEntry)
        # From the sync, or from the proof checks someone with a key ran (origin_checks).
        .where(AuditEntry.action == "sync_refused")
        .order_by(AuditEntry.seq.desc())
        .limit(RECENT_REFUSALS)
    ).all()
    return render_template(
        "console/sync.html", form=SyncForm(), last=last, counts=counts,
        refusals=[_refusal(entry) for entry in refusals],
    )


def _refusal(entry: AuditEntry) -> dict[str, object]:
    """What the page shows of one refusal: when, which case, what and why."""
    kind, _, reason = entry.detail.partition(": ")
    case_id = entry.subject.removeprefix("case:")
    return {"at": entry.at, "case_id": case_id, "reference": short_reference(case_id),
            "kind": kind, "reason": reason}


@bp.post("/sync")
@advisor_required
def sync_now() -> Response:
    if not SyncForm().validate_on_submit():  # a bad or missing CSRF token
        flash("The page had expired. Press the button again to sync.")
        return redirect(url_for(".sync_page"), code=303)
    advisor = signed_in_advisor()
    audit.record(db.session, advisor.email if advisor else "?", "sync_requested")
    summary = run_sync()
    flash(summary.describe(), "success" if not summary.errors and not summary.skipped else "info")
    return redirect(url_for(".sync_page"), code=303)
