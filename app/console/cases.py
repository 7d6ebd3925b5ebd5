"""Cases: the inbox query, who may open a case, opening it, assigning and the workflow.

The inbox reads clear columns only (status, service, dates, assignee) and never decrypts,
so it stays fast however many cases there are. Opening a case is a decryption, and every
one is audited (G8). Workflow events set a date on the case and, for cases that came from
the online form, queue a content-free event for intake (dates and a fixed reason only).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal, TypeVar

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, load_only

from app.console import audit, sla
from app.extensions import DbSession
from app.models.console import Advisor, Case, OutboxItem
from app.workflow import EVENTS, event_column
from crypto.envelope import open_record, recipient_key_id
from crypto.errors import CryptoError
from crypto.keys import PrivateKey

PAGE_SIZE = 25
DEFAULT_RETENTION_DAYS = 6 * 365  # six years after closing, unless configured

Tab = Literal["new", "open", "closed"]
Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])  # a SELECT of any columns


def short_reference(case_id: str) -> str:
    """Enough of the random id to tell cases apart on screen and on the phone."""
    return case_id[:8]


@dataclass(frozen=True)
class InboxFilter:
    status: Tab = "new"
    service: str | None = None  # None means every service
    assigned: str | None = None  # an advisor id, "unassigned", or None for anyone
    page: int = 1


@dataclass(frozen=True)
class InboxRow:
    case: Case
    sla: sla.Sla


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    counts: dict[str, int]  # per status tab, under the same service and advisor filters
    page: int
    pages: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _filtered(query: Q, chosen: InboxFilter) -> Q:
    if chosen.service:
        query = query.where(Case.service == chosen.service)
    if chosen.assigned == "unassigned":
        query = query.where(Case.assigned_to.is_(None))
    elif chosen.assigned:
        query = query.where(Case.assigned_to == chosen.assigned)
    return query


def inbox(session: DbSession, chosen: InboxFilter, on: date) -> InboxPage:
    """One page of the inbox: a COUNT per tab and LIMIT/OFFSET rows, all from clear columns."""
    counts = dict.fromkeys(("new", "open", "closed"), 0)
    by_status = _filtered(select(Case.status, func.count()).group_by(Case.status), chosen)
    for status, count in session.execute(by_status):
        counts[status] = count
    pages = max(1, -(-counts[chosen.status] // PAGE_SIZE))
    page = min(max(chosen.page, 1), pages)
    # Waiting cases oldest first (the most overdue lead); closed ones most recent first.
    order = (
        (Case.closed_on.desc(), Case.id)
        if chosen.status == "closed"
        else (Case.received_on, Case.id)
    )
    query = _filtered(
        select(Case)
        # The sealed blob is never needed here, so it is never read from the database.
        .options(
            load_only(
                Case.id, Case.source, Case.service, Case.received_on, Case.status,
                Case.assigned_to, Case.urgent, Case.acknowledged_on, Case.first_contact_on,
                Case.closed_on, Case.withdrawn_on,
            ),
            joinedload(Case.assignee).load_only(Advisor.name),
        )
        .where(Case.status == chosen.status)
        .order_by(*order)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE),
        chosen,
    )
    rows = [InboxRow(case, sla_of(case, on)) for case in session.scalars(query)]
    return InboxPage(rows, counts, page, pages)


def sla_of(case: Case, on: date) -> sla.Sla:
    return sla.case_sla(
        case.received_on,
        urgent=case.urgent,
        acknowledged_on=case.acknowledged_on,
        first_contact_on=case.first_contact_on,
        # A withdrawn case stops its clock just as a closed one does.
        closed_on=case.closed_on or case.withdrawn_on,
        on=on,
    )


def advisors(session: DbSession) -> list[Advisor]:
    """Active accounts, for the assignee filter and the manager's assign page."""
    return list(
        session.scalars(select(Advisor).where(Advisor.active.is_(True)).order_by(Advisor.name))
    )


def can_open(case: Case, keys: dict[str, PrivateKey]) -> bool:
    """Whether the advisor holds a grant for the key this case is sealed to."""
    try:
        return recipient_key_id(case.sealed) in keys
    except CryptoError:
        return False


def refuse(session: DbSession, advisor: Advisor, case: Case, action: str) -> None:
    """A refused attempt is worth recording too: it may be someone probing."""
    audit.record(session, advisor.email, "refused", f"case:{case.id}", action)


def open_case(
    session: DbSession, advisor: Advisor, case: Case, keys: dict[str, PrivateKey]
) -> dict[str, str]:
    """Decrypt the referral (audited, every time); learn its urgency on the first opening."""
    fields = open_record("referral", case.id, case.sealed, keys)
    if case.urgent is None:
        # Sync cannot read the urgency flags, so the shorter SLA applies from first opening.
        case.urgent = bool(fields.get("urgency"))
        if case.acknowledged_on is not None:  # acknowledged unopened: tell intake now
            _queue_event(session, case, "acknowledged", case.acknowledged_on)
        session.commit()
    audit.record(session, advisor.email, "open_case", f"case:{case.id}")
    return fields


def assign(session: DbSession, actor: Advisor, case: Case, assignee: Advisor) -> None:
    case.assigned_to = assignee.id
    session.commit()
    audit.record(session, actor.email, "assign_case", f"case:{case.id}", f"to {assignee.email}")


def _queue(session: DbSession, item_id: str, case: Case, path: str, body: dict[str, Any]) -> None:
    """Stage a push to intake; a repeat of the same key replaces the body and sends again."""
    item = session.get(OutboxItem, item_id) or OutboxItem(id=item_id, case_id=case.id)
    item.method = "PUT"
    item.path = path
    item.body = json.dumps(body, separators=(",", ":"))
    item.sent_at = None
    session.add(item)


def _queue_event(
    session: DbSession, case: Case, event: str, on: date, reason: str | None = None
) -> None:
    if case.source != "online":  # manual cases do not exist at intake
        return
    body: dict[str, Any] = {"on": on.isoformat()} | ({"reason": reason} if reason else {})
    if event == "acknowledged" and case.urgent is not None:
        # Intake measures first contact against 1 working day for urgent referrals, 2 if not.
        body["urgent"] = case.urgent
    _queue(
        session, f"event:{case.id}:{event}", case, f"/referrals/{case.id}/events/{event}", body
    )


def record_event(
    session: DbSession,
    actor: Advisor,
    case: Case,
    event: str,
    on: date,
    reason: str | None = None,
) -> None:
    """Date one workflow step on the case, queue it for intake, and audit it."""
    if event not in EVENTS or (reason is not None) != (event == "closed"):
        raise ValueError("a reason goes with closing, and only with closing")
    setattr(case, event_column(event), on)
    if event == "closed":
        case.status = "closed"
        case.closure_reason = reason
        days = int(current_app.config.get("RETENTION_DAYS_AFTER_CLOSE", DEFAULT_RETENTION_DAYS))
        case.purge_after = on + timedelta(days=days)
    elif case.status == "new":
        case.status = "open"
    _queue_event(session, case, event, on, reason)
    session.commit()
    detail = f"{event} on {on.isoformat()}" + (f" ({reason})" if reason else "")
    audit.record(session, actor.email, "case_event", f"case:{case.id}", detail)


def queue_reply(session: DbSession, case: Case, reply_id: str, sealed: str, sent_on: date) -> None:
    """Stage a reply (already sealed to the referrer, base64) for intake."""
    _queue(
        session, f"reply:{reply_id}", case, f"/referrals/{case.id}/replies/{reply_id}",
        {"sealed": sealed, "sent_on": sent_on.isoformat()},
    )

