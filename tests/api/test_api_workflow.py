"""Workflow events: content-free dates and status, and what the referrer is told."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask

from app.extensions import intake_db
from app.models.intake import Referral
from tests.api.conftest import Console, stored
from tests.referrer import Referrer

TODAY = date.today()
STATUS = re.compile(r'<strong class="govuk-tag">([^<]+)</strong>')


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


@pytest.fixture
def old_referral(app: Flask, referral: dict[str, Any]) -> dict[str, Any]:
    """The referral, as if received ten days ago, so past dates are allowed."""
    with app.app_context():
        intake_db.session.get(Referral, referral["id"]).received_on = TODAY - timedelta(days=10)
        intake_db.session.commit()
    return referral


def status_words(referrer: Referrer, phrase: str) -> str:
    assert referrer.sign_in(phrase).status_code == 303
    match = STATUS.search(referrer.client.get("/status").get_data(as_text=True))
    assert match
    return match.group(1)


def test_events_move_the_referrers_status_from_received_to_with_an_advisor_to_closed(
    referrer: Referrer, referral: dict[str, Any], console: Console
) -> None:
    url = f"/referrals/{referral['id']}/events"
    assert status_words(referrer, referral["phrase"]) == "Received"
    console.post(f"/referrals/{referral['id']}/delivered")
    assert status_words(referrer, referral["phrase"]) == "Received"
    acknowledged = console.put(f"{url}/acknowledged", json={"on": TODAY.isoformat()})
    assert acknowledged.status_code == 200
    assert acknowledged.get_json()["status"] == "with_advisor"
    assert status_words(referrer, referral["phrase"]) == "With an advisor"
    closed = console.put(f"{url}/closed", json={"on": TODAY.isoformat(), "reason": "declined"})
    assert closed.get_json()["status"] == "closed"
    assert status_words(referrer, referral["phrase"]) == "Closed"


@pytest.mark.parametrize(
    ("event", "column"),
    [
        ("acknowledged", "acknowledged_on"),
        ("first_contact_attempted", "first_contact_on"),
        ("contact_made", "contact_made_on"),
    ],
)
def test_each_event_sets_its_own_date(
    app: Flask, old_referral: dict[str, Any], console: Console, event: str, column: str
) -> None:
    response = console.put(f"/referrals/{old_referral['id']}/events/{event}",
                           json={"on": days_ago(3)})
    assert response.get_json()[column] == days_ago(3)
    row = stored(app, old_referral["id"])
    assert getattr(row, column) == TODAY - timedelta(days=3)
    assert row.status == "with_advisor"


def test_closing_sets_the_date_and_a_content_free_reason(
    app: Flask, old_referral: dict[str, Any], console: Console
) -> None:
    console.put(f"/referrals/{old_referral['id']}/events/closed",
                json={"on": days_ago(1), "reason": "no_contact_possible"})
    row = stored(app, old_referral["id"])
    assert (row.status, row.closed_on, row.closure_reason) == (
        "closed", TODAY - timedelta(days=1), "no_contact_possible"
    )


def test_repeating_an_event_is_idempotent_and_a_new_date_corrects_it(
    old_referral: dict[str, Any], console: Console
) -> None:
    url = f"/referrals/{old_referral['id']}/events/acknowledged"
    first = console.put(url, json={"on": days_ago(5)})
    again = console.put(url, json={"on": days_ago(5)})
    assert again.status_code == 200 and again.get_json() == first.get_json()
    corrected = console.put(url, json={"on": days_ago(4)})
    assert corrected.status_code == 200
    assert corrected.get_json()["acknowledged_on"] == days_ago(4)


def test_status_never_moves_back_when_an_earlier_date_is_corrected(
    old_referral: dict[str, Any], console: Console
) -> None:
    url = f"/referrals/{old_referral['id']}/events"
    console.put(f"{url}/closed", json={"on": days_ago(1), "reason": "other"})
    response = console.put(f"{url}/acknowledged", json={"on": days_ago(8)})
    assert response.get_json()["status"] == "closed"
    assert response.get_json()["acknowledged_on"] == days_ago(8)


@pytest.mark.parametrize(
    "on",
    [
        f"{TODAY.isoformat()}T10:30:00",
        f"{TODAY.isoformat()} 10:30",
        TODAY.strftime("%Y%m%d"),
        "2025-02-30",
        (TODAY + timedelta(days=1)).isoformat(),
        days_ago(11),
        20250101,
        None,
    ],
)
def test_a_date_that_is_not_a_plain_past_day_since_receipt_is_422(
    old_referral: dict[str, Any], console: Console, on: object
) -> None:
    response = console.put(f"/referrals/{old_referral['id']}/events/acknowledged",
                           json={"on": on})
    assert response.status_code == 422, response.get_json()


@pytest.mark.parametrize(
    ("event", "body"),
    [
        ("closed", {"on": TODAY.isoformat()}),
        ("closed", {"on": TODAY.isoformat(), "reason": "they moved away"}),
        ("acknowledged", {"on": TODAY.isoformat(), "reason": "other"}),
        ("acknowledged", {"on": TODAY.isoformat(), "note": "called twice"}),
        ("acknowledged", {}),
    ],
)
def test_reasons_only_from_the_fixed_list_only_for_closed_and_no_other_fields(
    referral: dict[str, Any], console: Console, event: str, body: dict[str, object]
) -> None:
    response = console.put(f"/referrals/{referral['id']}/events/{event}", json=body)
    assert response.status_code == 422
    assert response.get_json()["error"] == "invalid"


def test_an_unknown_event_is_404(referral: dict[str, Any], console: Console) -> None:
    response = console.put(f"/referrals/{referral['id']}/events/reopened",
                           json={"on": TODAY.isoformat()})
    assert response.status_code == 404


def test_events_on_a_withdrawn_referral_are_409(
    referrer: Referrer, referral: dict[str, Any], console: Console
) -> None:
    referrer.sign_in(referral["phrase"])
    referrer.post("/status/delete", {})
    response = console.put(f"/referrals/{referral['id']}/events/acknowledged",
                           json={"on": TODAY.isoformat()})
    assert response.status_code == 409
