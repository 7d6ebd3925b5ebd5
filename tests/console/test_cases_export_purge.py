"""Export of one case (audited, an attachment nothing caches) and purging after retention."""

import json
from datetime import date

import pytest

from app.console.retention import purge_expired
from app.extensions import console_db
from app.models.console import Case, CaseMessage, CaseNote, OutboxItem
from tests.console.case_factory import (
    Today,
    add_message,
    audit_entries,
    make_case,
    post_form,
)


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
    add_message(console_app, key, case_id, "Export marker message")
    post_form(advisor_client, f"/cases/{case_id}/notes/new", {"body": "Export marker note"})
    return case_id


def test_a_text_export_holds_the_referral_messages_notes_and_dates(
    console_app, case_id, advisor_client
):
    response = advisor_client.get(f"/cases/{case_id}/export")
    assert response.status_code == 200
    assert response.content_type == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="case-{case_id[:8]}.txt"')
    assert "no-store" in response.headers["Cache-Control"]
    text = response.get_data(as_text=True)
    assert "What should we call you?: Sam" in text
    assert "Police staff" in text
    assert "Export marker message" in text and "Export marker note" in text
    assert "Received: 2024-03-04" in text and "Acknowledged: 2024-03-05" in text


def test_a_json_export_holds_the_same_case(console_app, case_id, advisor_client):
    response = advisor_client.get(f"/cases/{case_id}/export?format=json")
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.get_data(as_text=True))
    assert data["case"]["id"] == case_id
    assert data["workflow"]["acknowledged_on"] == "2024-03-05"
    answers = {a["field"]: a for a in data["answers"]}
    assert answers["name"]["value"] == "Sam"
    assert answers["role_group"]["answer"] == "Police staff"
    assert [m["body"] for m in data["messages"]] == ["Export marker message"]
    assert [n["body"] for n in data["notes"]] == ["Export marker note"]


def test_every_export_is_audited(console_app, case_id, advisor_client):
    advisor_client.get(f"/cases/{case_id}/export")
    advisor_client.get(f"/cases/{case_id}/export?format=json")
    entries = audit_entries(console_app, "export_case")
    assert [(e.subject, e.detail) for e in entries] == [
        (f"case:{case_id}", "text"), (f"case:{case_id}", "json")]


def test_purge_deletes_only_closed_cases_past_their_date_with_everything_attached(
    console_app, key, case_id, advisor_client, today
):
    post_form(advisor_client, f"/cases/{case_id}/close",
              {"reason": "support_completed", "on": ["5", "3", "2024"]})
    keep_closed = make_case(console_app, key, status="closed", closed_on=date(2024, 3, 5),
                            purge_after=date(2030, 3, 5))
    keep_open = make_case(console_app, key)
    with console_app.app_context():
        console_db.session.get(Case, case_id).purge_after = date(2024, 3, 5)
        console_db.session.commit()
        assert purge_expired(console_db.session, date(2024, 3, 5)) == 0  # not yet passed
        assert purge_expired(console_db.session, date(2024, 3, 6)) == 1
        assert {c.id for c in console_db.session.scalars(console_db.select(Case))} == {
            keep_closed, keep_open}
        for model in (CaseNote, CaseMessage, OutboxItem):
            assert console_db.session.scalars(console_db.select(model)).all() == []
    assert [e.detail for e in audit_entries(console_app, "purge_cases")] == [
        "0 cases purged before 2024-03-05", "1 cases purged before 2024-03-06"]


def test_the_purge_command_runs_from_the_command_line(console_app, key, today):
    make_case(console_app, key, status="closed", closed_on=date(2017, 1, 2),
              purge_after=date(2023, 1, 1))
    result = console_app.test_cli_runner().invoke(args=["console", "purge"])
    assert result.exit_code == 0, result.output
    assert "Purged 1 case past their retention period." in result.output
    with console_app.app_context():
        assert console_db.session.scalars(console_db.select(Case)).all() == []
    [entry] = audit_entries(console_app, "purge_cases")
    assert entry.actor == "system"
