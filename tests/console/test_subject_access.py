"""The referrer's own copy of their case (subject access): content, audit, and refusal."""

from datetime import date

import pytest

from tests.console.case_factory import (
    Today,
    add_message,
    audit_entries,
    make_case,
    post_form,
)
from tests.console.conftest import sign_in_as


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Today:
    today = Today(monkeypatch)
    today.set(date(2024, 3, 6))
    return today


@pytest.fixture
def key(provider_keys):
    return provider_keys.recipient.public_key


@pytest.fixture
def case_id(console_app, key, advisor_client, today) -> str:
    case_id = make_case(console_app, key, received_on=date(2024, 3, 4), status="open",
                        acknowledged_on=date(2024, 3, 5))
    add_message(console_app, key, case_id, "Access marker message")
    post_form(advisor_client, f"/cases/{case_id}/notes/new", {"body": "Access marker note"})
    return case_id


def download(client, case_id: str):
    return post_form(client, f"/cases/{case_id}", {}, to=f"/cases/{case_id}/subject-access")


def test_the_copy_holds_the_answers_messages_notes_dates_and_what_intake_keeps(
    console_app, case_id, advisor_client
):
    response = download(advisor_client, case_id)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="your-information-{case_id[:8]}.txt"')
    assert "no-store" in response.headers["Cache-Control"]
    text = response.get_data(as_text=True)
    assert "What should we call you?: Sam" in text and "Police staff" in text
    assert "You\nAccess marker message" in text.replace("[2024-03-05] ", "")
    assert "Access marker note" in text
    assert "Received: 2024-03-04" in text and "Acknowledged: 2024-03-05" in text
    assert "How you contacted us: the website" in text
    # Open, received 2024-03-04: intake keeps the link for six years, the stub for seven.
    assert "Until about 2030-03-03 it keeps a code made from your reference phrase" in text
    assert "Until about 2031-03-03 it keeps a record with no content" in text


def test_a_policy_without_notes_leaves_them_out_and_says_so(
    console_app, case_id, advisor_client
):
    console_app.config["SUBJECT_ACCESS_INCLUDES_NOTES"] = False
    text = download(advisor_client, case_id).get_data(as_text=True)
    assert "Access marker note" not in text
    assert "Our policy is not to include case notes in this copy. We hold 1." in text
    [entry] = audit_entries(console_app, "subject_access_export")
    assert entry.detail == "notes withheld by policy"


def test_after_closing_the_copy_says_what_intake_has_already_deleted(
    console_app, key, advisor_client, today
):
    case_id = make_case(console_app, key, received_on=date(2023, 1, 2), status="closed",
                        closed_on=date(2023, 1, 10), closure_reason="support_completed",
                        purge_after=date(2029, 1, 10))
    today.set(date(2023, 6, 1))
    text = download(advisor_client, case_id).get_data(as_text=True)
    assert "It has deleted the code made from your reference phrase" in text
    assert "Until about 2024-02-14 it keeps a record with no content" in text
    assert "We will delete this case after 2029-01-10." in text
    assert "Why it closed: Support completed" in text


def test_a_phone_referral_is_not_held_by_the_website(console_app, key, advisor_client, today):
    case_id = make_case(console_app, key, source="phone")
    text = download(advisor_client, case_id).get_data(as_text=True)
    assert "The website holds nothing about this case." in text


def test_every_copy_is_audited_without_content(console_app, case_id, advisor_client):
    download(advisor_client, case_id)
    [entry] = audit_entries(console_app, "subject_access_export")
    assert (entry.subject, entry.detail) == (f"case:{case_id}", "notes included")
    assert "Sam" not in repr(vars(entry)) and "marker" not in repr(vars(entry))


def test_without_a_token_the_copy_is_refused(console_app, case_id, advisor_client):
    response = advisor_client.post(f"/cases/{case_id}/subject-access")
    assert response.status_code == 400
    assert audit_entries(console_app, "subject_access_export") == []


def test_an_advisor_without_the_key_grant_is_refused(
    console_app, case_id, make_advisor
):
    console_app.config["WTF_CSRF_ENABLED"] = False  # the key gate, not the CSRF check, answers
    staff = make_advisor("nogrant@provider.test", grant=False)
    response = sign_in_as(console_app.test_client(), staff).post(
        f"/cases/{case_id}/subject-access")
    assert response.status_code == 403
    assert "Sam" not in response.get_data(as_text=True)
    assert audit_entries(console_app, "subject_access_export") == []
