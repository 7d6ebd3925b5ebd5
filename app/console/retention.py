"""Retention: a closed case is kept for a configured time, then purged for good (DESIGN 6).

Closing a case sets its `purge_after` date by how it closed (`purge_after_closing`): six years
after closing (RETENTION_DAYS_AFTER_CLOSE) when support was given; six weeks when no service
was taken up (RETENTION_DAYS_NO_SERVICE: declined, withdrawn); six months when the referrer
could not be reached (RETENTION_DAYS_UNREACHABLE). `flask console purge` deletes every case
whose date has passed, with its notes, messages and anything still waiting in the outbox.
A withdrawal by the referrer keeps its own date (app/console/sync_store.py), which a closing
never shortens. The periods are in dpia/dpia.md section 9.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select

from app.console import audit
from app.extensions import DbSession
from app.models.console import Case, CaseMessage, CaseNote, OutboxItem
from app.workflow import NO_SERVICE_REASONS, UNREACHABLE_REASONS

DEFAULT_DAYS = {
    "RETENTION_DAYS_AFTER_CLOSE": 6 * 365,
    "RETENTION_DAYS_NO_SERVICE": 42,
    "RETENTION_DAYS_UNREACHABLE": 183,
}
# Which period each closure reason (app/workflow.py CLOSURE_REASONS) keeps a case for.
PERIOD_OF_REASON = {
    **dict.fromkeys(NO_SERVICE_REASONS, "RETENTION_DAYS_NO_SERVICE"),
    **dict.fromkeys(UNREACHABLE_REASONS, "RETENTION_DAYS_UNREACHABLE"),
}


def retention_days(reason: str | None, config: Mapping[str, Any]) -> int:
    """Days a case closed for `reason` is kept; support given (or unknown) keeps six years."""
    setting = PERIOD_OF_REASON.get(reason or "", "RETENTION_DAYS_AFTER_CLOSE")
    return max(1, int(config.get(setting, DEFAULT_DAYS[setting])))


def purge_after_closing(
    closed_on: date, reason: str | None, config: Mapping[str, Any], held_until: date | None
) -> date:
    """The day after which a case closed on `closed_on` goes; never before `held_until` (a
    date already set, such as a withdrawal's, which closing must not bring forward)."""
    due = closed_on + timedelta(days=retention_days(reason, config))
    return max(due, held_until) if held_until else due


def purge_expired(session: DbSession, on: date, actor: str = "system") -> int:
    """Delete the cases due for purging before `on`; audited with the count, even when 0."""
    expired = select(Case.id).where(Case.purge_after.is_not(None), Case.purge_after < on)
    count = len(session.scalars(expired).all())
    if count:
        # Bulk deletes, children first, so a large purge never loads a sealed blob.
        for child in (CaseNote.case_id, CaseMessage.case_id, OutboxItem.case_id):
            session.execute(
                delete(child.class_).where(child.in_(expired)),
                execution_options={"synchronize_session": False},
            )
        session.execute(
            delete(Case).where(Case.id.in_(expired)),
            execution_options={"synchronize_session": False},
        )
    session.commit()
    audit.record(session, actor, "purge_cases", "", f"{count} cases purged before {on}")
    return count
