"""The case page: the real sealed referral opened with the advisor's granted key, every
opening audited, and a clear refusal for a case sealed to a key the advisor does not hold."""

from datetime import date

import pytest

from app.extensions import console_db
from app.models.console import Case, KeyGrant, RecipientKeyRecord
from app.questionnaire import choices
from crypto.custody import grant_recipient_key, wrap_for_recovery
from crypto.keys import PrivateKey
from tests.console.case_factory import (
    ANSWERS,
    add_message,
    audit_entries,
    csrf_token,
    make_case,
)
from tests.console.conftest import sign_in_as

CASE_ROUTES = ("", "/assign", "/progress", "/close", "/notes/new", "/reply", "/export",
               "/export?format=json")
POST_ROUTES = ("/assign", "/progress", "/close", "/notes/new", "/reply")


@pytest.fixture
def key(provider_keys):
    return provider_keys.recipient.public_key


@pytest.fixture
def newer_key(console_app, provider_keys) -> PrivateKey:
    """A second recipient key generation, which no test advisor is granted unless asked."""
    newer = PrivateKey.generate()
    with console_app.app_context():
        console_db.session.add(
            RecipientKeyRecord(key_id=newer.public_key.key_id, generation=2,
                               public_key=newer.public_key.to_bytes(),
                               recovery_blob=wrap_for_recovery(newer, provider_keys.recovery_key))
        )
        console_db.session.commit()
    return newer


def test_the_case_page_opens_the_sealed_referral_and_shows_every_answer_with_its_words(
    console_app, key, advisor_client
):
    case_id = make_case(console_app, key)
    html = advisor_client.get(f"/cases/{case_id}").get_data(as_text=True)
    # Questions and answers in the intake form's own words, not the stored values.
    assert "What kind of support do you want?" in html
    assert dict(choices.SERVICES)["isva"] in html
    assert "Sam" in html and "07700 900982" in html and "It started last year." in html
    assert dict(choices.ROLE_GROUPS)["staff"] in html
    assert dict(choices.CONNECTION)["yes"] in html
    assert dict(choices.ETHNICITY)["white_irish"] in html
    urgency = dict(choices.URGENCY)
    assert f"{urgency['urgent']}; {urgency['safety']}" in html
    assert "Not answered" in html  # the questions left blank are shown too


def test_every_opening_of_a_case_is_audited(console_app, key, advisor_client):
    case_id = make_case(console_app, key)
    advisor_client.get(f"/cases/{case_id}")
    advisor_client.get(f"/cases/{case_id}")
    entries = audit_entries(console_app, "open_case")
    assert [(e.actor, e.subject) for e in entries] == [
        ("advisor@provider.test", f"case:{case_id}")] * 2


def test_the_first_opening_learns_whether_the_referral_is_urgent(console_app, key, advisor_client):
    urgent = make_case(console_app, key)
    calm = make_case(console_app, key, fields={"urgency": ""})
    advisor_client.get(f"/cases/{urgent}")
    advisor_client.get(f"/cases/{calm}")
    with console_app.app_context():
        assert console_db.session.get(Case, urgent).urgent is True
        assert console_db.session.get(Case, calm).urgent is False


def test_the_case_page_shows_the_referrers_messages_opened(console_app, key, advisor_client):
    case_id = make_case(console_app, key)
    add_message(console_app, key, case_id, "Mornings are best for me")
    html = advisor_client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Mornings are best for me" in html
    assert "Referrer, 5 Mar 2024" in html


def test_the_case_page_shows_workflow_dates(console_app, key, advisor_client):
    case_id = make_case(console_app, key, received_on=date(2023, 12, 22), status="open",
                        acknowledged_on=date(2023, 12, 27))
    html = advisor_client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "22 Dec 2023" in html and "27 Dec 2023" in html
    assert "On time" in html


def test_a_case_sealed_to_a_key_the_advisor_was_not_granted_is_refused_on_every_route(
    console_app, newer_key, advisor_client
):
    case_id = make_case(console_app, newer_key.public_key)
    token = csrf_token(advisor_client)
    for route in CASE_ROUTES:
        response = advisor_client.get(f"/cases/{case_id}{route}")
        assert response.status_code == 403, route
        assert "You do not have access to this case" in response.get_data(as_text=True)
        assert "Sam" not in response.get_data(as_text=True)
    for route in POST_ROUTES:
        response = advisor_client.post(f"/cases/{case_id}{route}", data={"csrf_token": token})
        assert response.status_code == 403, route
    refused = audit_entries(console_app, "refused")
    assert len(refused) == len(CASE_ROUTES) + len(POST_ROUTES)
    assert {e.subject for e in refused} == {f"case:{case_id}"}
    assert audit_entries(console_app, "open_case") == []
    assert audit_entries(console_app, "export_case") == []


def test_an_advisor_granted_the_newer_key_opens_cases_sealed_to_it(
    console_app, newer_key, make_advisor
):
    staff = make_advisor()
    with console_app.app_context():
        console_db.session.add(KeyGrant(
            advisor_id=staff.id, key_id=newer_key.public_key.key_id, granted_by="test",
            sealed_key=grant_recipient_key(newer_key, staff.key.public_key, staff.id)))
        console_db.session.commit()
    case_id = make_case(console_app, newer_key.public_key)
    client = sign_in_as(console_app.test_client(), staff)
    assert client.get(f"/cases/{case_id}").status_code == 200


def test_an_advisor_with_no_grant_at_all_gets_403_on_every_case_route(
    console_app, key, make_advisor
):
    case_id = make_case(console_app, key)
    client = sign_in_as(console_app.test_client(), make_advisor("new@provider.test", grant=False))
    for route in CASE_ROUTES:
        assert client.get(f"/cases/{case_id}{route}").status_code == 403, route
    assert client.get("/").status_code == 403
    assert client.get("/cases/new").status_code == 403
    assert audit_entries(console_app, "open_case") == []


def test_a_case_that_does_not_exist_is_not_found(advisor_client):
    assert advisor_client.get("/cases/no-such-case").status_code == 404


def test_nobody_signed_in_is_sent_to_sign_in(console_app, key):
    case_id = make_case(console_app, key)
    response = console_app.test_client().get(f"/cases/{case_id}")
    assert response.status_code == 302
    assert "sign-in" in response.headers["Location"]


def test_every_answer_sealed_online_is_shown(console_app, key, advisor_client):
    markers = {name: f"marker-{name}" for name in ANSWERS}
    case_id = make_case(console_app, key, fields=markers)
    html = advisor_client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert all(marker in html for marker in markers.values())


def test_a_case_whose_sealed_content_was_altered_is_refused_not_an_error(
    console_app, key, advisor_client
):
    case_id = make_case(console_app, key)
    with console_app.app_context():
        case = console_db.session.get(Case, case_id)
        case.sealed = case.sealed[:-1] + bytes([case.sealed[-1] ^ 1])
        console_db.session.commit()
    for route in ("", "/export"):
        response = advisor_client.get(f"/cases/{case_id}{route}")
        assert response.status_code == 403
        assert "This case cannot be opened" in response.get_data(as_text=True)
    assert [e.detail for e in audit_entries(console_app, "refused")] == [
        "open_case (does not open)", "export_case (does not open)"]
