"""Retention: a closed case is kept for a configured time, then purged for good (DESIGN 6).

Closing a case sets its `purge_after` date (RETENTION_DAYS_AFTER_CLOSE after the closing
date, six years unless configured). `flask console purge` deletes every case whose date
has passed, with its notes, messages and anything still waiting in the outbox.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select

from app.console import audit
from app.extensions import DbSession
from app.models.console import Case, CaseMessage, CaseNote, OutboxItem


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
