"""Case notes and replies: sealed before they are stored, readable on the case page, and a
reply sealed to the referrer's own key for intake to pass on."""

import base64
import json
from datetime import date

import pytest

from app.extensions import console_db
from app.models.console import CaseMessage, CaseNote, OutboxItem
from crypto.envelope import open_record
from crypto.errors import DecryptionError
from crypto.keys import PrivateKey
from tests.console.case_factory import (
    Today,
    audit_entries,
    found_in_database,
    make_case,
    post_form,
)

NOTE = "Note marker 7f3a: called twice, no answer"
REPLY = "Reply marker 9c1e: we can talk on Tuesday"


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Today:
    today = Today(monkeypatch)
    today.set(date(2024, 3, 6))
    return today


@pytest.fixture
def referrer() -> PrivateKey:
    """The referrer's own key pair (at intake it comes from their reference phrase)."""
    return PrivateKey.generate()


@pytest.fixture
def case_id(console_app, provider_keys, referrer, today) -> str:
    return make_case(console_app, provider_keys.recipient.public_key, referrer=referrer)


def test_a_note_is_sealed_at_rest_and_readable_on_the_case_page(
    console_app, provider_keys, case_id, advisor_client
):
    response = post_form(advisor_client, f"/cases/{case_id}/notes/new", {"body": NOTE})
    assert response.status_code == 303
    assert found_in_database(console_app, "Note marker 7f3a") == []
    assert "cases.id" in found_in_database(console_app, case_id)  # the scan does find things
    with console_app.app_context():
        note = console_db.session.scalars(console_db.select(CaseNote)).one()
        opened = open_record("note", note.id, note.sealed, provider_keys.recipient)
    assert opened == {"body": NOTE}
    assert NOTE in advisor_client.get(f"/cases/{case_id}").get_data(as_text=True)
    [entry] = audit_entries(console_app, "add_note")
    assert entry.subject == f"case:{case_id}" and NOTE not in entry.detail


@pytest.mark.parametrize(("body", "message"), [
    ("", "Enter your note"),
    ("x" * 5001, "Your note must be 5000 characters or fewer"),
    ("bad \x00 byte", "Your note must only include letters, numbers and punctuation"),
])
def test_a_note_must_be_given_and_not_too_long(console_app, case_id, advisor_client, body, message):
    response = post_form(advisor_client, f"/cases/{case_id}/notes/new", {"body": body})
    assert message in response.get_data(as_text=True)
    with console_app.app_context():
        assert console_db.session.scalars(console_db.select(CaseNote)).all() == []


def test_a_reply_is_sealed_to_the_referrer_and_queued_for_intake(
    console_app, provider_keys, referrer, case_id, advisor_client
):
    response = post_form(advisor_client, f"/cases/{case_id}/reply", {"body": REPLY})
    assert response.status_code == 303
    with console_app.app_context():
        message = console_db.session.scalars(console_db.select(CaseMessage)).one()
        item = console_db.session.get(OutboxItem, f"reply:{message.id}")
        reply_id = message.id
        ours = open_record("message", message.id, message.sealed, provider_keys.recipient)
    assert (message.author, message.sent_on, ours) == ("advisor", date(2024, 3, 6), {"body": REPLY})
    assert (item.method, item.path) == ("PUT", f"/referrals/{case_id}/replies/{reply_id}")
    body = json.loads(item.body)
    assert body["sent_on"] == "2024-03-06"
    theirs = open_record("message", reply_id, base64.b64decode(body["sealed"]), referrer)
    assert theirs == {"body": REPLY}
    assert found_in_database(console_app, "Reply marker 9c1e") == []
    assert REPLY in advisor_client.get(f"/cases/{case_id}").get_data(as_text=True)
    [entry] = audit_entries(console_app, "send_reply")
    assert entry.detail == f"reply:{reply_id}"


def test_the_console_cannot_read_the_referrers_copy_without_their_key(
    console_app, provider_keys, case_id, advisor_client
):
    post_form(advisor_client, f"/cases/{case_id}/reply", {"body": REPLY})
    with console_app.app_context():
        item = console_db.session.scalars(console_db.select(OutboxItem)).one()
    sealed = base64.b64decode(json.loads(item.body)["sealed"])
    with pytest.raises(DecryptionError):
        open_record("message", item.id.removeprefix("reply:"), sealed, provider_keys.recipient)


@pytest.mark.parametrize("columns", [
    {"source": "phone"},
    {"source": "email"},
    {"status": "closed"},
    {"withdrawn_on": date(2024, 3, 5)},
])
def test_there_is_no_reply_to_a_case_the_referrer_cannot_read_replies_on(
    console_app, provider_keys, referrer, advisor_client, today, columns
):
    case_id = make_case(console_app, provider_keys.recipient.public_key, referrer=referrer,
                        **columns)
    assert advisor_client.get(f"/cases/{case_id}/reply").status_code == 404
    assert "Reply to the referrer" not in advisor_client.get(f"/cases/{case_id}").get_data(
        as_text=True)


def test_a_referral_made_before_proofs_takes_no_reply_through_intake(
    console_app, provider_keys, advisor_client, today
):
    # A version 1 envelope carries no reply key or auth key: a reply could not be proven.
    case_id = make_case(console_app, provider_keys.recipient.public_key, legacy=True)
    assert advisor_client.get(f"/cases/{case_id}/reply").status_code == 404
    assert f"/cases/{case_id}/reply" not in advisor_client.get(f"/cases/{case_id}").text
