"""Cases: the inbox query, who may open a case, opening it, assigning and the workflow.

The inbox reads clear columns only (status, service, dates, assignee, urgency). The one
exception is a case whose urgency and contact choice nobody has seen yet (sync cannot
decrypt): the signed-in advisor's keys read those two answers for the cases on the page,
once each, so an urgent case is tagged before anyone opens it. Opening a case, or reading
those two answers, is a decryption, and every one is audited (G8). Workflow events set a
date on the case and, for cases that came from the online form, queue a content-free event
for intake (dates and a fixed reason only).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypeVar

from flask import current_app
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy import case as when
from sqlalchemy.orm import joinedload, load_only

from app.console import audit, retention, sla
from app.extensions import DbSession
from app.models.console import Advisor, Case, OutboxItem
from app.workflow import EVENTS, event_column
from crypto.envelope import open_record, recipient_key_id
from crypto.errors import CryptoError, DecryptionError
from crypto.keys import PrivateKey

PAGE_SIZE = 25
NO_CONTACT_DETAILS = "phrase_only"  # the contact_method code in app/questionnaire/choices.py
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


def _tab() -> ColumnElement[str]:
    """The tab a case is listed under: a withdrawn case is finished, like a closed one, so it
    leaves "New" and "Open" even before an advisor records how it closed."""
    return when((Case.withdrawn_on.is_not(None), "closed"), else_=Case.status)


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
    tab = _tab()
    by_status = _filtered(select(tab, func.count()).group_by(tab), chosen)
    for status, count in session.execute(by_status):
        counts[status] = count
    pages = max(1, -(-counts[chosen.status] // PAGE_SIZE))
    page = min(max(chosen.page, 1), pages)
    # Waiting cases oldest first (the most overdue lead); finished ones most recent first.
    order = (
        (func.coalesce(Case.closed_on, Case.withdrawn_on).desc(), Case.id)
        if chosen.status == "closed"
        else (Case.received_on, Case.id)
    )
    query = _filtered(
        select(Case)
        # The sealed blob is never needed here, so it is never read from the database.
        .options(
            load_only(
                Case.id, Case.source, Case.service, Case.received_on, Case.status,
                Case.assigned_to, Case.urgent, Case.contactable, Case.acknowledged_on,
                Case.first_contact_on,
                Case.closed_on, Case.withdrawn_on,
            ),
            joinedload(Case.assignee).load_only(Advisor.name),
        )
        .where(tab == chosen.status)
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
        contactable=case.contactable,
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


def _unknown(case: Case) -> bool:
    return case.urgent is None or case.contactable is None


def _learn(session: DbSession, case: Case, fields: dict[str, str]) -> None:
    """Copy the two answers the inbox and the SLA need into clear columns, once, uncommitted."""
    if case.urgent is None:
        # Sync cannot read the urgency flags, so the shorter SLA applies once it is known.
        case.urgent = bool(fields.get("urgency"))
        if case.acknowledged_on is not None:  # acknowledged before it was known: tell intake
            _queue_event(session, case, "acknowledged", case.acknowledged_on)
    if case.contactable is None:
        case.contactable = fields.get("contact_method") != NO_CONTACT_DETAILS


def learn_for_inbox(
    session: DbSession, advisor: Advisor, shown: list[Case], keys: dict[str, PrivateKey]
) -> bool:
    """Read the urgency and contact choice of the cases on an inbox page that nobody has seen
    yet; True when any was learnt. Each read is a decryption, so each is audited (G8); a case
    the advisor holds no key for, or that does not open, is left to the case page to refuse."""
    learnt = False
    for case in shown:
        if not _unknown(case) or not can_open(case, keys):
            continue
        try:
            fields = open_record("referral", case.id, case.sealed, keys)
        except DecryptionError:
            continue
        _learn(session, case, fields)
        audit.append(session, advisor.email, "read_triage", f"case:{case.id}",
                     "urgency and contact choice, for the inbox")
        learnt = True
    if learnt:
        session.commit()
    return learnt


def open_case(
    session: DbSession, advisor: Advisor, case: Case, keys: dict[str, PrivateKey]
) -> dict[str, str]:
    """Decrypt the referral (audited, every time); learn its urgency on the first opening."""
    fields = open_record("referral", case.id, case.sealed, keys)
    if _unknown(case):
        _learn(session, case, fields)
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
    date_event(session, case, event, on, reason)
    session.commit()
    detail = f"{event} on {on.isoformat()}" + (f" ({reason})" if reason else "")
    audit.record(session, actor.email, "case_event", f"case:{case.id}", detail)


def date_event(
    session: DbSession, case: Case, event: str, on: date, reason: str | None = None
) -> None:
    """Date the step and queue it for intake, inside the caller's transaction."""
    setattr(case, event_column(event), on)
    if event == "closed":
        case.status = "closed"
        case.closure_reason = reason
        case.purge_after = retention.purge_after_closing(
            on, reason, current_app.config, case.purge_after if case.withdrawn_on else None
        )
    elif case.status == "new":
        case.status = "open"
    _queue_event(session, case, event, on, reason)


@dataclass(frozen=True)
class Sealed:
    """A reply as intake stores it: sealed to the referrer, with the provider's proof."""

    blob: bytes
    sequence: int
    proof: bytes


def queue_reply(
    session: DbSession, case: Case, reply_id: str, sealed: Sealed, sent_on: date
) -> None:
    """Stage a reply (already sealed to the referrer, with its proof) for intake."""
    _queue(
        session, f"reply:{reply_id}", case, f"/referrals/{case.id}/replies/{reply_id}",
        {"sealed": _b64(sealed.blob), "sent_on": sent_on.isoformat(),
         "sequence": sealed.sequence, "proof": _b64(sealed.proof)},
    )


def _b64(blob: bytes) -> str:
    return base64.b64encode(blob).decode("ascii")

