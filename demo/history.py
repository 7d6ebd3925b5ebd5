"""A synthetic history for demonstrations: years of referrals that never happened.

On a fresh `make run` (or with `flask demo-data`) demo/fill.py writes this history
into both apps, so the standards dashboard and the console have many quarters to show. The
shape follows the commissioning decision (DESIGN.md): about 150 online referrals in 2022-23,
about a fifth of them ISVA, demand growing by about 15% a year, with seasons and quieter
weekends; phone and email referrals on top reach the console only. The workflow dates are
mostly on time and sometimes late, the service a little quicker each year; recent cases are
still open, and a few referrers withdrew. Answers come from demo/answers.py.

Everything is drawn from a seeded random.Random so a demo looks the same on every machine:
it is synthetic data, not security, so a predictable generator is what is wanted here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from app.working_days import add_working_days, is_working_day
from demo import answers as demo_answers

FIRST_DAY = date(2022, 4, 1)  # the history starts with financial year 2022-23
FIRST_YEAR_REFERRALS = 150  # online referrals in 2022-23 (PCD 1732: 150 in 2023-24)
GROWTH = 1.15  # demand each financial year against the one before
MANUAL_SHARE = 0.12  # phone and email referrals, as a share of the online ones
DEFAULT_SEED = 2022
SERVICES: demo_answers.Weights = {"idva": 72, "isva": 20, "not_sure": 8}
# January to December: busier after Christmas and in early summer, quieter in August and
# December. Monday to Sunday: people refer themselves most at the start of a working week.
MONTH_WEIGHT = (1.2, 1.0, 1.0, 0.95, 1.0, 1.1, 1.05, 0.85, 1.0, 1.0, 1.0, 0.85)
WEEKDAY_WEIGHT = (1.25, 1.15, 1.1, 1.05, 0.95, 0.75, 0.75)
CLOSED_AFTER_CONTACT: demo_answers.Weights = {
    "support_completed": 62, "referred_on": 14, "declined": 9, "withdrawn": 5, "other": 6,
    "no_contact_possible": 4,
}


@dataclass
class SyntheticCase:
    """One case: online ones are referrals at intake too; phone and email ones are not."""

    source: str  # "online", "phone" or "email"
    service: str
    received_on: date
    answers: dict[str, str]  # every name in journey.SEALED_FIELDS
    acknowledged_on: date | None = None
    first_contact_on: date | None = None
    contact_made_on: date | None = None
    closed_on: date | None = None
    closure_reason: str | None = None
    withdrawn_on: date | None = None  # the referrer deleted their referral at intake

    @property
    def urgent(self) -> bool:
        # As the console decides it: any urgency flag means the 1-working-day target.
        return bool(self.answers["urgency"])


def history(today: date, *, seed: int = DEFAULT_SEED, scale: float = 1.0) -> list[SyntheticCase]:
    """Every case received from FIRST_DAY up to `today`, oldest first.

    Each financial year's total is fixed in advance (FIRST_YEAR_REFERRALS x GROWTH per year,
    times `scale`) and only its days are drawn, so demand grows every year, whatever the seed.
    """
    rng = random.Random(seed)  # noqa: S311 - synthetic demo data, not security
    cases = []
    for year_index in range(today.year - FIRST_DAY.year + 1):
        start = date(FIRST_DAY.year + year_index, 4, 1)
        if start > today:
            break
        online = round(FIRST_YEAR_REFERRALS * GROWTH**year_index * scale)
        for source, count in (("online", online), ("manual", round(online * MANUAL_SHARE))):
            for day in _arrival_days(rng, start, count, today):
                cases.append(_case(rng, source, day, year_index, today))
    return sorted(cases, key=lambda case: case.received_on)


def _arrival_days(rng: random.Random, start: date, count: int, today: date) -> list[date]:
    """`count` days of the financial year from `start`, kept only up to `today`."""
    length = (start.replace(year=start.year + 1) - start).days
    days = [start + timedelta(days=n) for n in range(length)]
    weights = [MONTH_WEIGHT[d.month - 1] * WEEKDAY_WEIGHT[d.weekday()] for d in days]
    return [d for d in rng.choices(days, weights=weights, k=count) if d <= today]


def _case(
    rng: random.Random, source: str, received: date, year_index: int, today: date
) -> SyntheticCase:
    if source == "manual":
        source = demo_answers.pick(rng, {"phone": 65, "email": 35})
    service = demo_answers.pick(rng, SERVICES)
    answers = demo_answers.answers(rng, source, service, year_index)
    case = SyntheticCase(source, service, received, answers)
    _workflow(rng, case, year_index, today)
    _up_to(case, today)
    return case


def _workflow(rng: random.Random, case: SyntheticCase, year_index: int, today: date) -> None:
    """Acknowledged, first contact attempted, contact made, closed: each in working days."""
    received = case.received_on
    # Late often enough that a quarter's late cases mostly reach the disclosure threshold
    # (below it, the dashboard withholds the percentage); a little quicker year by year.
    late_ack = max(0.15, 0.30 - 0.02 * year_index)
    late_contact = max(0.10, 0.20 - 0.02 * year_index)
    earliest = 0 if is_working_day(received) else 1  # nobody acknowledges on a Sunday
    on_time = max(earliest, rng.choice((0, 1, 1)))
    ack = rng.randint(2, 4) if rng.random() < late_ack else on_time
    target = 1 if case.urgent else 2
    late = rng.random() < late_contact
    contact = target + rng.randint(1, 4) if late else rng.randint(1, target)
    contact = max(ack, contact)
    case.acknowledged_on = add_working_days(received, ack)
    case.first_contact_on = add_working_days(received, contact)
    withdrawn = received + timedelta(days=rng.randint(0, 14))
    if rng.random() < 0.015 and withdrawn <= today:
        case.withdrawn_on = withdrawn
        _drop_after_withdrawal(case)
        return
    if rng.random() < 0.85:
        extra = 0 if rng.random() < 0.6 else rng.randint(1, 7)
        case.contact_made_on = add_working_days(case.first_contact_on, extra)
        stay = rng.randint(30, 150) if case.service == "idva" else rng.randint(60, 270)
        case.closed_on = _working_on_or_after(case.contact_made_on + timedelta(days=stay))
        case.closure_reason = demo_answers.pick(rng, CLOSED_AFTER_CONTACT)
    else:
        wait = timedelta(days=rng.randint(15, 40))
        case.closed_on = _working_on_or_after(case.first_contact_on + wait)
        case.closure_reason = "no_contact_possible"


def _working_on_or_after(day: date) -> date:
    return day if is_working_day(day) else add_working_days(day, 1)


def _drop_after_withdrawal(case: SyntheticCase) -> None:
    """Intake refuses workflow events once the referrer has withdrawn (app/intake/delivery)."""
    assert case.withdrawn_on is not None
    if case.first_contact_on and case.first_contact_on > case.withdrawn_on:
        case.first_contact_on = None
    if case.acknowledged_on and case.acknowledged_on > case.withdrawn_on:
        case.acknowledged_on = None


def _up_to(case: SyntheticCase, today: date) -> None:
    """Nothing after today: later steps have simply not happened yet (the case is open)."""
    for name in ("acknowledged_on", "first_contact_on", "contact_made_on", "closed_on"):
        day = getattr(case, name)
        if day is not None and day > today:
            setattr(case, name, None)
    if case.closed_on is None:
        case.closure_reason = None
