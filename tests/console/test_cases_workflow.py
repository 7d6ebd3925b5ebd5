"""Assigning a case and its workflow: dates on the case, content-free events queued for intake."""

import json
from datetime import date, timedelta

import pytest

from app.extensions import console_db
from app.models.console import Case, OutboxItem, utcnow
from tests.console.case_factory import (
    Today,
    audit_entries,
    date_fields,
    make_case,
    post_form,
)
from tests.console.conftest import sign_in_as

RECEIVED = date(2023, 12, 22)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Today:
    today = Today(monkeypatch)
    today.set(date(2024, 1, 10))
    return today


@pytest.fixture
def case_id(console_app, provider_keys, today) -> str:
    return make_case(console_app, provider_keys.recipient.public_key, received_on=RECEIVED)


def the_case(app, case_id: str) -> Case:
    with app.app_context():
        case = console_db.session.get(Case, case_id)
        console_db.session.expunge(case)
        return case


def outbox(app) -> dict[str, OutboxItem]:
    with app.app_context():
        items = console_db.session.scalars(console_db.select(OutboxItem)).all()
        console_db.session.expunge_all()
        return {item.id: item for item in items}


def progress(client, case_id: str, event: str, on: date):
    page = f"/cases/{case_id}/progress"
    return post_form(client, page, {"event": event, **date_fields("on", on)})


def test_an_advisor_assigns_a_case_to_themselves(console_app, case_id, make_advisor):
    staff = make_advisor()
    client = sign_in_as(console_app.test_client(), staff)
    response = post_form(client, f"/cases/{case_id}", {"advisor": staff.id},
                         to=f"/cases/{case_id}/assign")
    assert response.status_code == 303
    assert the_case(console_app, case_id).assigned_to == staff.id
    [entry] = audit_entries(console_app, "assign_case")
    assert entry.subject == f"case:{case_id}" and entry.detail == "to advisor@provider.test"


def test_an_advisor_cannot_give_a_case_to_someone_else(console_app, case_id, make_advisor):
    client = sign_in_as(console_app.test_client(), make_advisor())
    other = make_advisor("other@provider.test")
    response = post_form(client, f"/cases/{case_id}/assign", {"advisor": other.id})
    assert response.status_code == 200
    assert "Select who should have the case" in response.get_data(as_text=True)
    assert the_case(console_app, case_id).assigned_to is None


def test_the_manager_assigns_a_case_to_any_advisor(console_app, case_id, make_advisor):
    manager = make_advisor("manager@provider.test", role="manager")
    other = make_advisor("other@provider.test")
    client = sign_in_as(console_app.test_client(), manager)
    assert "Other (other@provider.test)" in client.get(f"/cases/{case_id}/assign").get_data(
        as_text=True)
    response = post_form(client, f"/cases/{case_id}/assign", {"advisor": other.id})
    assert response.status_code == 303
    assert the_case(console_app, case_id).assigned_to == other.id


def test_acknowledging_dates_the_case_opens_it_and_queues_the_event_for_intake(
    console_app, case_id, advisor_client
):
    response = progress(advisor_client, case_id, "acknowledged", date(2023, 12, 27))
    assert response.status_code == 303
    case = the_case(console_app, case_id)
    assert case.acknowledged_on == date(2023, 12, 27)
    assert case.status == "open"
    item = outbox(console_app)[f"event:{case_id}:acknowledged"]
    assert item.method == "PUT"
    assert item.path == f"/referrals/{case_id}/events/acknowledged"
    assert json.loads(item.body) == {"on": "2023-12-27"}
    [entry] = audit_entries(console_app, "case_event")
    assert entry.detail == "acknowledged on 2023-12-27"


@pytest.mark.parametrize(
    ("event", "column"),
    [("first_contact_attempted", "first_contact_on"), ("contact_made", "contact_made_on")],
)
def test_each_contact_step_sets_its_date_and_queues_its_event(
    console_app, case_id, advisor_client, event, column
):
    assert progress(advisor_client, case_id, event, date(2024, 1, 2)).status_code == 303
    assert getattr(the_case(console_app, case_id), column) == date(2024, 1, 2)
    item = outbox(console_app)[f"event:{case_id}:{event}"]
    assert item.path == f"/referrals/{case_id}/events/{event}"
    assert json.loads(item.body) == {"on": "2024-01-02"}


def test_recording_a_step_again_replaces_its_date_and_sends_it_again(
    console_app, case_id, advisor_client
):
    progress(advisor_client, case_id, "acknowledged", date(2023, 12, 27))
    with console_app.app_context():
        console_db.session.get(OutboxItem, f"event:{case_id}:acknowledged").sent_at = utcnow()
        console_db.session.commit()
    progress(advisor_client, case_id, "acknowledged", date(2023, 12, 28))
    items = outbox(console_app)
    assert len(items) == 1
    item = items[f"event:{case_id}:acknowledged"]
    assert json.loads(item.body) == {"on": "2023-12-28"}
    assert item.sent_at is None


def test_closing_with_a_reason_dates_the_case_sets_its_purge_date_and_queues_the_event(
    console_app, case_id, advisor_client
):
    page = f"/cases/{case_id}/close"
    response = post_form(advisor_client, page,
                         {"reason": "referred_on", **date_fields("on", date(2024, 1, 9))})
    assert response.status_code == 303
    case = the_case(console_app, case_id)
    assert (case.status, case.closed_on, case.closure_reason) == (
        "closed", date(2024, 1, 9), "referred_on")
    assert case.purge_after == date(2024, 1, 9) + timedelta(days=2190)
    item = outbox(console_app)[f"event:{case_id}:closed"]
    assert item.path == f"/referrals/{case_id}/events/closed"
    assert json.loads(item.body) == {"on": "2024-01-09", "reason": "referred_on"}


def test_the_retention_period_is_configurable(console_app, case_id, advisor_client):
    console_app.config["RETENTION_DAYS_AFTER_CLOSE"] = 30
    post_form(advisor_client, f"/cases/{case_id}/close",
              {"reason": "support_completed", **date_fields("on", date(2024, 1, 9))})
    assert the_case(console_app, case_id).purge_after == date(2024, 2, 8)


def test_a_case_needs_a_reason_to_close(console_app, case_id, advisor_client):
    response = post_form(advisor_client, f"/cases/{case_id}/close",
                         {"reason": "tired_of_it", **date_fields("on", date(2024, 1, 9))})
    assert "Select why the case is closing" in response.get_data(as_text=True)
    assert the_case(console_app, case_id).status == "new"


@pytest.mark.parametrize(
    ("on", "message"),
    [
        (["11", "1", "2024"], "The date must be today or in the past"),
        (["21", "12", "2023"], "on or after the day the referral was received, 22 December 2023"),
        (["31", "2", "2024"], "The date must be a real date"),
        (["", "", ""], "Enter the date"),
        (["1", "1", "24"], "The year must include 4 numbers"),
    ],
)
def test_a_step_date_must_be_real_and_between_receipt_and_today(
    console_app, case_id, advisor_client, on, message
):
    response = post_form(advisor_client, f"/cases/{case_id}/progress",
                         {"event": "acknowledged", "on": on})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html and "govuk-error-summary" in html
    assert the_case(console_app, case_id).acknowledged_on is None
    assert outbox(console_app) == {}


def test_the_date_is_today_unless_changed(console_app, case_id, advisor_client):
    html = advisor_client.get(f"/cases/{case_id}/progress").get_data(as_text=True)
    assert 'id="on-day" name="on" type="text" value="10"' in html
    assert 'id="on-year" name="on" type="text" value="2024"' in html


def test_a_phone_referral_changes_nothing_at_intake(console_app, provider_keys, advisor_client,
                                                    today):
    case_id = make_case(console_app, provider_keys.recipient.public_key, source="phone",
                        received_on=RECEIVED)
    progress(advisor_client, case_id, "acknowledged", date(2023, 12, 27))
    post_form(advisor_client, f"/cases/{case_id}/close",
              {"reason": "support_completed", **date_fields("on", date(2024, 1, 9))})
    assert the_case(console_app, case_id).status == "closed"
    assert outbox(console_app) == {}
    assert len(audit_entries(console_app, "case_event")) == 2

