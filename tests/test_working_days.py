"""England and Wales working days: hand-worked examples, then the general properties."""

from datetime import date, datetime, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.working_days import add_working_days, is_working_day, working_days_between


@pytest.mark.parametrize(
    ("received", "n", "due"),
    [
        # weekends: the day of receipt is day 0, day 1 is the next working day
        (date(2025, 6, 2), 1, date(2025, 6, 3)),  # Monday -> Tuesday
        (date(2025, 6, 6), 1, date(2025, 6, 9)),  # Friday -> Monday
        (date(2025, 6, 7), 1, date(2025, 6, 9)),  # Saturday -> Monday
        (date(2025, 6, 8), 1, date(2025, 6, 9)),  # Sunday -> Monday
        (date(2025, 6, 6), 2, date(2025, 6, 10)),  # Friday -> Tuesday
        (date(2025, 6, 6), 0, date(2025, 6, 6)),  # no target: due the same day
        # Christmas 2025: Thursday 25 and Friday 26 December, then a weekend
        (date(2025, 12, 24), 1, date(2025, 12, 29)),
        # Christmas 2022 fell on a Sunday: Boxing Day Monday 26, substitute Tuesday 27 December
        (date(2022, 12, 23), 1, date(2022, 12, 28)),
        (date(2022, 12, 23), 2, date(2022, 12, 29)),
        # Boxing Day 2026 is a Saturday: substitute Monday 28 December
        (date(2026, 12, 24), 1, date(2026, 12, 29)),
        # Easter 2025: Good Friday 18 April, Easter Monday 21 April
        (date(2025, 4, 17), 1, date(2025, 4, 22)),
        (date(2025, 4, 19), 1, date(2025, 4, 22)),  # received on Easter Saturday
        # early May bank holiday 2025: Monday 5 May
        (date(2025, 5, 2), 1, date(2025, 5, 6)),
        # financial-year boundary 2025: Monday 31 March -> Tuesday 1 April
        (date(2025, 3, 31), 1, date(2025, 4, 1)),
        # financial-year boundary 2026 runs into Easter: Good Friday 3, Easter Monday 6 April
        (date(2026, 3, 31), 2, date(2026, 4, 2)),
        (date(2026, 3, 31), 3, date(2026, 4, 7)),
        # New Year: 1 January 2026 is a Thursday
        (date(2025, 12, 31), 1, date(2026, 1, 2)),
        # New Year's Day 2022 was a Saturday: substitute Monday 3 January
        (date(2021, 12, 31), 1, date(2022, 1, 4)),
    ],
)
def test_due_date_counts_from_the_first_working_day_after_receipt(received, n, due):
    assert add_working_days(received, n) == due
    assert working_days_between(received, due) == n


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 6, 4), True),  # an ordinary Wednesday
        (date(2025, 6, 7), False),  # Saturday
        (date(2025, 12, 25), False),
        (date(2025, 12, 26), False),
        (date(2022, 12, 27), False),  # substitute for Christmas Day on a Sunday
        (date(2023, 1, 2), False),  # substitute for New Year's Day on a Sunday
        (date(2025, 4, 18), False),  # Good Friday
        (date(2025, 4, 21), False),  # Easter Monday
        (date(2025, 5, 5), False),  # early May
        (date(2025, 8, 25), False),  # summer bank holiday (England and Wales, not Scotland)
        (date(2025, 8, 4), True),  # Scotland's summer bank holiday is not ours
        (date(2025, 3, 17), True),  # St Patrick's Day is Northern Ireland only
        (date(2025, 3, 31), True),  # last day of the financial year is an ordinary Monday
        (date(2025, 4, 1), True),
    ],
)
def test_working_days_are_weekdays_that_are_not_england_and_wales_bank_holidays(day, working):
    assert is_working_day(day) is working


def test_england_and_wales_share_the_same_bank_holidays():
    years = range(2020, 2036)
    england = holidays.country_holidays("GB", subdiv="ENG", years=years)
    wales = holidays.country_holidays("GB", subdiv="WLS", years=years)
    assert set(england) == set(wales)


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        (date(2025, 6, 6), date(2025, 6, 6), 0),  # same day
        (date(2025, 6, 9), date(2025, 6, 6), 0),  # end before start
        (date(2025, 6, 6), date(2025, 6, 8), 0),  # Friday to Sunday
        (date(2025, 3, 28), date(2025, 4, 1), 2),  # Friday to Tuesday across the FY boundary
        # over Christmas and New Year: 22, 23, 24, 29, 30, 31 December and 2 January
        (date(2025, 12, 19), date(2026, 1, 2), 7),
        # FY 2025-26 without its first day: 260 weekdays less 8 bank holidays on weekdays
        (date(2025, 4, 1), date(2026, 3, 31), 252),
    ],
)
def test_working_days_between_counts_days_after_start_up_to_and_including_end(start, end, count):
    assert working_days_between(start, end) == count


def test_negative_targets_are_refused():
    with pytest.raises(ValueError, match="zero or more"):
        add_working_days(date(2025, 6, 6), -1)


def test_datetimes_are_refused_because_only_dates_are_kept():
    with pytest.raises(TypeError):
        is_working_day(datetime(2025, 6, 6, 9, 30))


dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


@settings(max_examples=200, deadline=None)
@given(start=dates, n=st.integers(min_value=0, max_value=40))
def test_the_due_date_is_the_first_day_with_n_working_days_after_start(start, n):
    due = add_working_days(start, n)
    assert working_days_between(start, due) == n
    if n:
        assert is_working_day(due)
        assert working_days_between(start, due - timedelta(days=1)) == n - 1
