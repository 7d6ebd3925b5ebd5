"""Referrals that came by phone or email, recorded by an advisor with the online questions."""

from datetime import date

import pytest

from app.console.case_forms import ManualCaseForm
from app.extensions import console_db
from app.models.console import Case, OutboxItem
from app.questionnaire import journey
from crypto.envelope import open_record
from tests.console.case_factory import (
    Today,
    audit_entries,
    date_fields,
    found_in_database,
    post_form,
)

ANSWERS = {
    "source": "phone",
    **date_fields("on", date(2024, 3, 4)),
    "service": "idva",
    "name": "Manual marker Jo",
    "phone": "07700 900123",
    "safe_to_call": "no",
    "role_group": "officer",
    "police_connected": "not_sure",
    "account": "Told us by phone",
    "urgency": ["children"],
    "consent": "y",
    "sex": "prefer_not",
}


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Today:
    today = Today(monkeypatch)
    today.set(date(2024, 3, 6))
    return today


def the_only_case(app) -> Case:
    with app.app_context():
        case = console_db.session.scalars(console_db.select(Case)).one()
        console_db.session.expunge(case)
        return case


def test_a_phone_referral_becomes_a_case_sealed_with_the_full_field_set(
    console_app, provider_keys, advisor_client, today
):
    response = post_form(advisor_client, "/cases/new", ANSWERS)
    assert response.status_code == 303
    case = the_only_case(console_app)
    assert response.headers["Location"] == f"/cases/{case.id}"
    assert (case.source, case.service, case.received_on, case.status, case.urgent) == (
        "phone", "idva", date(2024, 3, 4), "new", True)
    fields = open_record("referral", case.id, case.sealed, provider_keys.recipient)
    assert set(fields) == set(journey.SEALED_FIELDS)
    assert fields["name"] == "Manual marker Jo"
    assert fields["urgency"] == "children"
    assert fields["contact_method"] == "details"
    assert fields["consent"] == "yes"
    assert fields["ethnicity"] == ""
    assert found_in_database(console_app, "Manual marker") == []
    [entry] = audit_entries(console_app, "add_case")
    assert entry.subject == f"case:{case.id}" and entry.detail == "source:phone"


def test_a_manual_case_opens_like_any_other_and_is_never_sent_to_intake(
    console_app, advisor_client, today
):
    location = post_form(advisor_client, "/cases/new", ANSWERS).headers["Location"]
    html = advisor_client.get(location).get_data(as_text=True)
    assert "Manual marker Jo" in html and "Police officer" in html
    assert "came by phone" in html
    with console_app.app_context():
        assert console_db.session.scalars(console_db.select(OutboxItem)).all() == []


def test_the_manual_form_asks_every_online_question_except_how_to_be_contacted():
    asked = {name for name, field in vars(ManualCaseForm).items() if hasattr(field, "field_class")}
    assert set(journey.SEALED_FIELDS) - asked == {"contact_method"}


@pytest.mark.parametrize(("change", "message"), [
    ({"name": ""}, "Enter a first name or another name we can call you"),
    ({"service": ""}, "Select the kind of support you want"),
    ({"source": "online"}, "Select how the referral arrived"),
    (date_fields("on", date(2024, 3, 7)), "The date must be today or in the past"),
    ({"email": "not-an-address"}, "Enter an email address in the correct format"),
])
def test_the_manual_form_checks_its_answers(console_app, advisor_client, today, change, message):
    response = post_form(advisor_client, "/cases/new", ANSWERS | change)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with console_app.app_context():
        assert console_db.session.scalars(console_db.select(Case)).all() == []


def test_the_received_date_is_today_unless_changed(advisor_client, today):
    html = advisor_client.get("/cases/new").get_data(as_text=True)
    assert 'id="on-day" name="on" type="text" value="06"' in html
