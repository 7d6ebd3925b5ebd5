"""Intake's own figures for one period, from its clear workflow dates only (G4, DESIGN 7).

Nothing here reads sealed content: the service, status and dates of each referral are all
there is. These are the true counts; they leave this module only through app.disclosure
(see releases.py), never as they are.

Working days follow app.working_days: the day a referral is received is day 0, so "within 1
working day" means acknowledged by the end of the next working day. A referral the referrer
withdrew is left out of the service levels (nobody can acknowledge a withdrawn referral), but
still counts as received, and leaves the caseload as a closure ("withdrawn by referrer").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, repeat

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import QueryableAttribute

from app.disclosure import Period
from app.extensions import intake_db as db
from app.models.intake import Referral
from app.return_contract import INTAKE_TABLES
from app.working_days import working_days_between


@dataclass(frozen=True)
class Targets:
    """Service-level targets in working days (configurable: settings.py)."""

    acknowledge: int = 1
    first_contact: int = 2
    urgent_first_contact: int = 1

    def for_first_contact(self, urgent: bool | None) -> int:
        # Not yet triaged (None) means the normal target, as the provider reports urgency.
        return self.urgent_first_contact if urgent else self.first_contact


@dataclass
class ServiceLevelCounts:
    """Numerators and denominators, and each first contact's working days, for one period."""

    acknowledged_in_time: int = 0
    contacted_in_time: int = 0
    measured: int = 0  # referrals received in the period and not withdrawn
    days_to_first_contact: Counter[int] = field(default_factory=Counter)

    def __add__(self, other: ServiceLevelCounts) -> ServiceLevelCounts:
        return ServiceLevelCounts(
            self.acknowledged_in_time + other.acknowledged_in_time,
            self.contacted_in_time + other.contacted_in_time,
            self.measured + other.measured,
            self.days_to_first_contact + other.days_to_first_contact,
        )

    def sorted_days(self) -> list[int]:
        """Every first contact's working days, sorted (what app.disclosure's median takes)."""
        return list(
            chain.from_iterable(repeat(d, n) for d, n in sorted(self.days_to_first_contact.items()))
        )


def _in(period: Period, column: QueryableAttribute[date | None]) -> ColumnElement[bool]:
    return column.between(period.start, period.end)


def _complete(counts: dict[str, int], table: str, other: str | None = None) -> dict[str, int]:
    """Every category of the table in order, zero when absent; unknown codes go to `other`."""
    categories = INTAKE_TABLES[table].categories
    result = dict.fromkeys(categories, 0)
    for code, n in counts.items():
        key = code if code in categories else other
        if key is None:
            raise ValueError(f"{table}: unexpected category {code!r}")
        result[key] += n
    return result


def received_by_service(period: Period) -> dict[str, int]:
    rows = db.session.execute(
        select(Referral.service, func.count())
        .where(_in(period, Referral.received_on))
        .group_by(Referral.service)
    )
    return _complete({service: n for service, n in rows}, "received", other="not_sure")


def open_at_end(period: Period) -> dict[str, int]:
    """Referrals received by the last day and not closed or withdrawn by then.

    Two counts rather than one with OR: each is a range on the closed_on index (still open;
    closed after the end), so neither scans the whole table.
    """
    end = period.end
    received_by_end = Referral.received_on <= end
    still_open = select(func.count()).where(received_by_end, Referral.closed_on.is_(None))
    closed_later = select(func.count()).where(received_by_end, Referral.closed_on > end)
    count = (db.session.scalar(still_open) or 0) + (db.session.scalar(closed_later) or 0)
    return {"open": count}


def closures(period: Period) -> dict[str, int]:
    """Everything that left the caseload in the period, by reason (a withdrawal included)."""
    rows = db.session.execute(
        select(Referral.closure_reason, func.count())
        .where(_in(period, Referral.closed_on))
        .group_by(Referral.closure_reason)
    )
    # A closure without a known reason is still a closure: "other" keeps the totals whole.
    return _complete({reason or "other": n for reason, n in rows}, "closures", other="other")


def service_levels(period: Period, targets: Targets) -> ServiceLevelCounts:
    """One pass over the period's referrals, grouped by their dates (a few thousand groups)."""
    rows = db.session.execute(
        select(
            Referral.received_on,
            Referral.acknowledged_on,
            Referral.first_contact_on,
            Referral.urgent,
            func.count(),
        )
        .where(_in(period, Referral.received_on), Referral.status != "withdrawn")
        .group_by(
            Referral.received_on,
            Referral.acknowledged_on,
            Referral.first_contact_on,
            Referral.urgent,
        )
    )
    lag = _Lags()
    counts = ServiceLevelCounts()
    for received, acknowledged, contacted, urgent, n in rows:
        counts.measured += n
        if acknowledged is not None and lag(received, acknowledged) <= targets.acknowledge:
            counts.acknowledged_in_time += n
        if contacted is not None:
            days = lag(received, contacted)
            counts.days_to_first_contact[days] += n
            if days <= targets.for_first_contact(urgent):
                counts.contacted_in_time += n
    return counts


class _Lags:
    """working_days_between, remembered: the same pairs of dates recur across groups."""

    def __init__(self) -> None:
        self.known: dict[tuple[date, date], int] = {}

    def __call__(self, start: date, end: date) -> int:
        key = (start, end)
        if key not in self.known:
            self.known[key] = working_days_between(start, end)
        return self.known[key]


def first_received_on() -> date | None:
    """The day the first referral was received: periods before it hold nothing to release."""
    return db.session.scalar(select(func.min(Referral.received_on)))
