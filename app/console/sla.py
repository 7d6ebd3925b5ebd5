"""Service-level due dates for a case, in England and Wales working days (DESIGN 6, 7).

Computed from the case's clear dates only, so the inbox can show them for thousands of cases
without opening any sealed content. A referral must be acknowledged within 1 working day of
being received, and a first contact attempted within 2 (1 when the referral is urgent). A
referrer who gave no contact details comes back with their reference phrase instead, so
there is no first contact to attempt and no date for it.
Days are counted as in `app.working_days`: the day received is day 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from app.working_days import add_working_days

ACKNOWLEDGE_WITHIN = 1
FIRST_CONTACT_WITHIN = 2
FIRST_CONTACT_WITHIN_URGENT = 1
LONDON = ZoneInfo("Europe/London")

State = Literal["met", "late", "due", "due_today", "overdue", "stopped"]


def today() -> date:
    """Today in England: a server on UTC would otherwise start the day an hour late in summer."""
    return datetime.now(LONDON).date()


@dataclass(frozen=True)
class Milestone:
    name: str  # what has to happen, in words for the page
    due: date
    done_on: date | None
    state: State

    @property
    def overdue(self) -> bool:
        return self.state == "overdue"

    @property
    def pending(self) -> bool:
        return self.state in ("due", "due_today", "overdue")


@dataclass(frozen=True)
class Sla:
    acknowledge: Milestone
    first_contact: Milestone  # "First reply" when the referrer gave no contact details

    @property
    def milestones(self) -> tuple[Milestone, ...]:
        return (self.acknowledge, self.first_contact)

    @property
    def next(self) -> Milestone | None:
        """The earliest milestone still to be met, for the inbox's one SLA column."""
        pending = [m for m in self.milestones if m.pending]
        return min(pending, key=lambda m: m.due) if pending else None

    @property
    def overdue(self) -> bool:
        return any(m.overdue for m in self.milestones)


def _state(due: date, done_on: date | None, closed_on: date | None, on: date) -> State:
    if done_on is not None:
        return "met" if done_on <= due else "late"
    if closed_on is not None:
        return "stopped"  # closed without it (withdrawn, say): no longer anyone's to chase
    if on > due:
        return "overdue"
    return "due_today" if on == due else "due"


def case_sla(
    received_on: date,
    *,
    urgent: bool | None,
    acknowledged_on: date | None,
    first_contact_on: date | None,
    closed_on: date | None,
    on: date,
    contactable: bool | None = None,
) -> Sla:
    """The SLA of one case as it stands on the day `on`.

    `urgent` is None until an advisor first opens the case (sync cannot read the urgency
    flags), so an unopened case gets the ordinary target. `contactable` is False only once an
    advisor's keys have shown the referrer chose no contact details: their first contact is
    the first reply they read with their phrase, due on the same day. Until then (None) a
    first contact attempt is due, the safe assumption.
    """
    acknowledge_due = add_working_days(received_on, ACKNOWLEDGE_WITHIN)
    contact_due = add_working_days(
        received_on, FIRST_CONTACT_WITHIN_URGENT if urgent else FIRST_CONTACT_WITHIN
    )
    return Sla(
        Milestone(
            "Acknowledge",
            acknowledge_due,
            acknowledged_on,
            _state(acknowledge_due, acknowledged_on, closed_on, on),
        ),
        Milestone(
            # No contact details: the first reply through the phrase is the first contact
            # attempt, on the same target (casework.send_reply dates it).
            "First reply" if contactable is False else "First contact attempt",
            contact_due,
            first_contact_on,
            _state(contact_due, first_contact_on, closed_on, on),
        ),
    )
