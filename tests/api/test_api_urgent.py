"""The urgency flag: reported with the acknowledgement, kept at intake for the first-contact KPI.

Intake cannot read a referral's urgency answers, so the console reports its triage flag as a
plain boolean once an advisor has read them; the standards KPI measures first contact
against 1 working day when it is true.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask

from tests.api.conftest import Console, stored

TODAY = date.today().isoformat()


def acknowledge(console: Console, referral: dict[str, Any], **body: object):
    return console.put(f"/referrals/{referral['id']}/events/acknowledged",
                       json={"on": TODAY, **body})


@pytest.mark.parametrize("urgent", [True, False])
def test_the_acknowledgement_carries_the_urgency_flag_to_the_referral(
    app: Flask, referral: dict[str, Any], console: Console, urgent: bool
) -> None:
    response = acknowledge(console, referral, urgent=urgent)
    assert response.status_code == 200
    assert stored(app, referral["id"]).urgent is urgent


def test_without_the_flag_the_urgency_stays_unknown_or_as_reported(
    app: Flask, referral: dict[str, Any], console: Console
) -> None:
    acknowledge(console, referral)
    assert stored(app, referral["id"]).urgent is None
    acknowledge(console, referral, urgent=True)
    acknowledge(console, referral)  # a repeat without it does not forget it
    assert stored(app, referral["id"]).urgent is True


@pytest.mark.parametrize("value", ["yes", 1, 0, None, "true"])
def test_the_flag_must_be_true_or_false(
    referral: dict[str, Any], console: Console, value: object
) -> None:
    response = acknowledge(console, referral, urgent=value)
    assert response.status_code == 422
    assert response.get_json()["message"] == "urgent must be true or false"


@pytest.mark.parametrize(
    ("event", "extra"),
    [("first_contact_attempted", {}), ("contact_made", {}), ("closed", {"reason": "other"})],
)
def test_the_flag_goes_only_with_the_acknowledgement(
    app: Flask, referral: dict[str, Any], console: Console, event: str, extra: dict[str, str]
) -> None:
    response = console.put(f"/referrals/{referral['id']}/events/{event}",
                           json={"on": TODAY, "urgent": True, **extra})
    assert response.status_code == 422
    assert "urgent goes only with acknowledged" in response.get_json()["message"]
    assert stored(app, referral["id"]).urgent is None
