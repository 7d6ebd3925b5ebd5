"""SLA due dates in England and Wales working days, from the case's dates alone."""

from datetime import date

import pytest

from app.console.sla import case_sla

FRIDAY_BEFORE_CHRISTMAS_2023 = date(2023, 12, 22)


def sla_on(on: date, received: date = FRIDAY_BEFORE_CHRISTMAS_2023, **dates: object):
    values = {"urgent": False, "acknowledged_on": None, "first_contact_on": None,
              "closed_on": None} | dates
    return case_sla(received, on=on, **values)


def test_a_referral_received_on_the_friday_before_christmas_2023_is_acknowledged_by_wednesday():
    sla = sla_on(date(2023, 12, 22))
    # Saturday, Sunday, Christmas Day and Boxing Day are not working days.
    assert sla.acknowledge.due == date(2023, 12, 27)
    assert sla.first_contact.due == date(2023, 12, 28)


def test_an_urgent_referral_needs_a_first_contact_attempt_within_one_working_day():
    sla = sla_on(date(2023, 12, 22), urgent=True)
    assert sla.first_contact.due == date(2023, 12, 27)


def test_an_unopened_case_whose_urgency_is_unknown_gets_the_ordinary_target():
    assert sla_on(date(2023, 12, 22), urgent=None).first_contact.due == date(2023, 12, 28)


def test_easter_monday_is_not_a_working_day():
    # Maundy Thursday 28 March 2024 -> Good Friday, weekend and Easter Monday -> Tuesday 2 April
    sla = sla_on(date(2024, 3, 28), received=date(2024, 3, 28))
    assert sla.acknowledge.due == date(2024, 4, 2)


def test_a_weekend_referral_is_due_on_monday_not_later():
    sla = sla_on(date(2024, 3, 9), received=date(2024, 3, 9))  # a Saturday
    assert sla.acknowledge.due == date(2024, 3, 11)


@pytest.mark.parametrize(
    ("on", "state"),
    [
        (date(2023, 12, 26), "due"),  # Boxing Day: not yet the due day
        (date(2023, 12, 27), "due_today"),
        (date(2023, 12, 28), "overdue"),
    ],
)
def test_an_open_milestone_is_due_then_due_today_then_overdue(on: date, state: str):
    assert sla_on(on).acknowledge.state == state


def test_a_milestone_done_by_its_due_date_is_met_and_after_it_is_late():
    assert sla_on(date(2024, 1, 5), acknowledged_on=date(2023, 12, 27)).acknowledge.state == "met"
    assert sla_on(date(2024, 1, 5), acknowledged_on=date(2023, 12, 28)).acknowledge.state == "late"


def test_a_case_closed_before_a_milestone_is_no_longer_overdue():
    sla = sla_on(date(2024, 2, 1), acknowledged_on=date(2023, 12, 27), closed_on=date(2023, 12, 27))
    assert sla.first_contact.state == "stopped"
    assert not sla.overdue
    assert sla.next is None


def test_the_next_milestone_is_the_earliest_one_still_to_do():
    sla = sla_on(date(2023, 12, 27))
    assert sla.next is sla.acknowledge
    acknowledged = sla_on(date(2023, 12, 29), acknowledged_on=date(2023, 12, 27))
    assert acknowledged.next is acknowledged.first_contact
    assert acknowledged.next.overdue
