"""Working days in England and Wales, for SLA due dates and the working-day KPIs (DESIGN 6, 7).

A working day is Monday to Friday and not a bank holiday in England and Wales. England and
Wales share one list of bank holidays, substitute days included (a holiday that falls on a
weekend moves to the next free weekday: Christmas Day 2022, a Sunday, was kept on Tuesday
27 December because Boxing Day had taken the Monday). The `holidays` package has no combined
"England and Wales" subdivision, so we ask for England ("ENG"); a test pins that it matches
Wales ("WLS"). One-off days (a jubilee, a state funeral) appear only once the package knows
about them, so keep `holidays` up to date.

How days are counted: the day something happens is day 0, whatever day of the week it is, and
day 1 is the first working day after it. So a referral received on Friday, Saturday or Sunday
with a one-working-day target is due on Monday (or Tuesday if Monday is a bank holiday). A
weekend referral gets no extra day, and one received at 23:00 on a weekday gets the whole of
the next working day: intake keeps dates only, never times (G4), so this is the rule that is
fair to both sides without knowing the time of day.

`add_working_days` and `working_days_between` are inverses under this convention:
`working_days_between(d, add_working_days(d, n)) == n` for every date d and n >= 0.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache

import holidays

_ONE_DAY = timedelta(days=1)


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    # Building a holiday calendar is slow next to a set lookup, and due dates are computed for
    # every case on every inbox page, so each year is built once per process.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def _plain_date(d: date) -> date:
    # A datetime is a date subclass, so it would slip through and compare unequal to the
    # holiday dates; we keep day precision only (G4), so refuse it rather than guess.
    if isinstance(d, datetime):
        raise TypeError("working days are counted on dates, not datetimes")
    return d


def is_working_day(d: date) -> bool:
    d = _plain_date(d)
    return d.weekday() < 5 and d not in _bank_holidays(d.year)


def add_working_days(start: date, n: int) -> date:
    """The date that is n working days after `start` (the due date for an n-day target)."""
    if n < 0:
        raise ValueError("n must be zero or more")
    d = _plain_date(start)
    while n:
        d += _ONE_DAY
        if is_working_day(d):
            n -= 1
    return d


def working_days_between(start: date, end: date) -> int:
    """Working days after `start`, up to and including `end`; 0 if `end` is not after `start`."""
    d, end = _plain_date(start), _plain_date(end)
    count = 0
    # A plain day-by-day walk: periods here are days or weeks, rarely a year (365 steps), and
    # the obvious loop is easier to trust than week arithmetic with holidays subtracted.
    while d < end:
        d += _ONE_DAY
        count += is_working_day(d)
    return count
