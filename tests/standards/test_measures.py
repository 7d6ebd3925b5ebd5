"""Service levels worked by hand around weekends, bank holidays, Christmas, Easter and the
financial-year boundary (England and Wales; the day received is day 0)."""

from __future__ import annotations

from app.disclosure import Period
from app.standards import measures
from app.standards.measures import Targets
from tests.standards.conftest import add_referrals, d, many

Q3_2023 = Period(2023, 3)  # October to December 2023
Q4_2023 = Period(2023, 4)  # January to March 2024
Q1_2024 = Period(2024, 1)  # April to June 2024


DEFAULT_TARGETS = Targets()


def levels(on, period, targets=DEFAULT_TARGETS):
    return on(measures.service_levels, period, targets)


def test_received_friday_22_december_and_acknowledged_wednesday_27th_is_within_one_working_day(
    standards_app, on
):
    # 23-24 weekend, 25 Christmas Day, 26 Boxing Day: the 27th is the first working day after.
    add_referrals(
        standards_app, {"received_on": d("2023-12-22"), "acknowledged_on": d("2023-12-27")}
    )

    counts = levels(on, Q3_2023)

    assert (counts.acknowledged_in_time, counts.measured) == (1, 1)


def test_acknowledged_on_thursday_28_december_after_a_friday_before_christmas_is_late(
    standards_app, on
):
    add_referrals(
        standards_app, {"received_on": d("2023-12-22"), "acknowledged_on": d("2023-12-28")}
    )

    assert levels(on, Q3_2023).acknowledged_in_time == 0


def test_the_thursday_before_good_friday_then_the_tuesday_after_easter_is_in_time(
    standards_app, on
):
    # 29 March 2024 Good Friday, 30-31 weekend, 1 April Easter Monday: 2 April is day 1.
    add_referrals(
        standards_app, {"received_on": d("2024-03-28"), "acknowledged_on": d("2024-04-02")}
    )

    assert levels(on, Q4_2023).acknowledged_in_time == 1


def test_the_wednesday_after_easter_is_two_working_days_after_the_thursday_before_it(
    standards_app, on
):
    add_referrals(
        standards_app, {"received_on": d("2024-03-28"), "acknowledged_on": d("2024-04-03")}
    )

    assert levels(on, Q4_2023).acknowledged_in_time == 0


def test_a_weekend_referral_acknowledged_on_monday_is_in_time_and_on_tuesday_is_late(
    standards_app, on
):
    add_referrals(
        standards_app,
        {"received_on": d("2024-01-06"), "acknowledged_on": d("2024-01-08")},  # Sat -> Mon
        {"received_on": d("2024-01-07"), "acknowledged_on": d("2024-01-09")},  # Sun -> Tue
    )

    counts = levels(on, Q4_2023)

    assert (counts.acknowledged_in_time, counts.measured) == (1, 2)


def test_a_referral_received_on_31_march_2024_counts_in_2023_24_q4_not_the_next_year(
    standards_app, on
):
    add_referrals(standards_app, {"received_on": d("2024-03-31"), "service": "isva"})

    assert on(measures.received_by_service, Q4_2023) == {"idva": 0, "isva": 1, "not_sure": 0}
    assert on(measures.received_by_service, Q1_2024) == {"idva": 0, "isva": 0, "not_sure": 0}
    assert on(measures.received_by_service, Period(2023))["isva"] == 1
    assert on(measures.received_by_service, Period(2024))["isva"] == 0


def test_an_urgent_referral_has_one_working_day_for_first_contact_and_others_have_two(
    standards_app, on
):
    # Friday 22 December 2023 -> Thursday 28 December: 2 working days (27th, 28th).
    both = {"received_on": d("2023-12-22"), "first_contact_on": d("2023-12-28")}
    add_referrals(
        standards_app, {**both, "urgent": True}, {**both, "urgent": False}, {**both, "urgent": None}
    )

    counts = levels(on, Q3_2023)

    assert counts.contacted_in_time == 2  # the urgent one missed its 1-day target
    assert counts.days_to_first_contact == {2: 3}


def test_the_targets_come_from_configuration(standards_app, on):
    both = {"received_on": d("2023-12-22"), "first_contact_on": d("2023-12-28")}
    add_referrals(standards_app, {**both, "urgent": True})

    assert levels(on, Q3_2023, Targets(urgent_first_contact=2)).contacted_in_time == 1
    assert (
        levels(on, Q3_2023, Targets(first_contact=1, urgent_first_contact=3)).contacted_in_time == 1
    )


def test_the_substitute_bank_holiday_of_christmas_2022_is_not_a_working_day(standards_app, on):
    # Christmas Day 2022 was a Sunday: Boxing Day Monday 26th, Christmas kept Tuesday 27th.
    add_referrals(
        standards_app,
        {
            "received_on": d("2022-12-23"),
            "acknowledged_on": d("2022-12-28"),
            "first_contact_on": d("2022-12-29"),
        },
    )

    counts = levels(on, Period(2022, 3))

    assert counts.acknowledged_in_time == 1
    assert counts.days_to_first_contact == {2: 1}


def test_not_yet_acknowledged_counts_as_missed_and_a_withdrawn_referral_is_not_measured(
    standards_app, on
):
    add_referrals(
        standards_app,
        {"received_on": d("2024-05-01")},
        {
            "received_on": d("2024-05-01"),
            "status": "withdrawn",
            "closed_on": d("2024-05-01"),
            "closure_reason": "withdrawn_by_referrer",
        },
    )

    counts = levels(on, Q1_2024)

    assert (counts.acknowledged_in_time, counts.measured) == (0, 1)
    assert on(measures.received_by_service, Q1_2024)["idva"] == 2  # still received


def test_the_early_may_bank_holiday_pushes_a_friday_referral_to_tuesday(standards_app, on):
    # Monday 6 May 2024 is the early May bank holiday.
    add_referrals(
        standards_app,
        {"received_on": d("2024-05-03"), "acknowledged_on": d("2024-05-07")},
        {"received_on": d("2024-05-03"), "acknowledged_on": d("2024-05-08")},
    )

    assert levels(on, Q1_2024).acknowledged_in_time == 1


def test_open_caseload_counts_what_was_received_by_the_last_day_and_not_closed_by_then(
    standards_app, on
):
    add_referrals(
        standards_app,
        {"received_on": d("2024-03-31")},  # open at the end of 2023-24 Q4
        {
            "received_on": d("2024-03-01"),
            "closed_on": d("2024-03-31"),
            "status": "closed",
            "closure_reason": "declined",
        },  # closed on the last day
        {
            "received_on": d("2024-02-01"),
            "closed_on": d("2024-04-01"),
            "status": "closed",
            "closure_reason": "other",
        },  # still open at the end of March
        {"received_on": d("2024-04-01")},  # not yet received
    )

    assert on(measures.open_at_end, Q4_2023) == {"open": 2}
    assert on(measures.closures, Q4_2023)["declined"] == 1
    assert on(measures.closures, Q1_2024)["other"] == 1


def test_closures_count_withdrawals_and_put_unknown_reasons_under_other(standards_app, on):
    add_referrals(
        standards_app,
        {
            "received_on": d("2024-04-02"),
            "closed_on": d("2024-04-03"),
            "status": "withdrawn",
            "closure_reason": "withdrawn_by_referrer",
        },
        {
            "received_on": d("2024-04-02"),
            "closed_on": d("2024-04-05"),
            "status": "closed",
            "closure_reason": None,
        },
    )

    found = on(measures.closures, Q1_2024)

    assert found["withdrawn_by_referrer"] == 1
    assert found["other"] == 1
    assert sum(found.values()) == 2


def test_the_median_is_taken_over_every_first_contact_in_the_period(standards_app, on):
    add_referrals(
        standards_app,
        *many(3, received_on=d("2024-04-08"), first_contact_on=d("2024-04-08")),  # 0 days
        *many(2, received_on=d("2024-04-08"), first_contact_on=d("2024-04-12")),  # 4 days
    )

    assert levels(on, Q1_2024).sorted_days() == [0, 0, 0, 4, 4]
