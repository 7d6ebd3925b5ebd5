"""The inbox and the case page flag what matters (issue 10, item 6): urgent cases tagged
before anyone opens them, finished cases out of "New", no first contact for a referrer who
gave no contact details, a success banner after each action, and the console's own name in
the tab title."""

import json
import re
from datetime import date

import pytest

from app.extensions import console_db
from app.models.console import Advisor, Case, OutboxItem
from crypto.keys import PrivateKey
from tests.console.case_factory import Today, audit_entries, date_fields, make_case, post_form
from tests.console.conftest import sign_in_as

NO_CONTACT = {
    "contact_method": "phrase_only", "phone": "", "email": "", "safe_to_call": "",
    "safe_times": "", "voicemail": "", "safe_to_text": "", "someone_else_answers": "",
}


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Today:
    today = Today(monkeypatch)
    today.set(date(2024, 3, 6))
    return today


@pytest.fixture
def key(provider_keys):
    return provider_keys.recipient.public_key


def html(client, path: str = "/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def inbox_row(page: str, case_id: str) -> str:
    match = re.search(rf'<tr class="govuk-table__row">((?:(?!</tr>).)*{case_id}.*?)</tr>',
                      page, re.S)
    assert match, f"{case_id} is not in the inbox"
    return match.group(1)


def stored(app, case_id: str) -> Case:
    with app.app_context():
        case = console_db.session.get(Case, case_id)
        console_db.session.expunge(case)
        return case


def test_an_urgent_case_is_tagged_in_the_inbox_before_anyone_opens_it(
    console_app, key, advisor_client, today
):
    urgent = make_case(console_app, key, fields={"urgency": "urgent,safety"})
    calm = make_case(console_app, key, fields={"urgency": ""})
    assert stored(console_app, urgent).urgent is None  # as sync stores it: unknown
    page = html(advisor_client)
    assert "Urgent" in inbox_row(page, urgent)
    assert "Urgent" not in inbox_row(page, calm)
    # The shorter SLA applies at once: first contact for an urgent case is due in 1 day.
    assert stored(console_app, urgent).urgent is True
    assert stored(console_app, calm).urgent is False


def test_reading_the_urgency_for_the_inbox_is_audited_once_per_case(
    console_app, key, advisor_client, today, monkeypatch
):
    case_id = make_case(console_app, key)
    html(advisor_client)
    [entry] = audit_entries(console_app, "read_triage")
    assert entry.subject == f"case:{case_id}" and entry.actor == "advisor@provider.test"
    assert audit_entries(console_app, "open_case") == []  # not an opening of the case

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the inbox decrypted a case whose urgency it already knew")

    monkeypatch.setattr("app.console.cases.open_record", refuse)
    assert "Urgent" in inbox_row(html(advisor_client), case_id)
    assert len(audit_entries(console_app, "read_triage")) == 1


def test_an_advisor_without_the_key_learns_nothing_and_decrypts_nothing(
    console_app, key, make_advisor, today
):
    case_id = make_case(console_app, key)
    client = sign_in_as(console_app.test_client(), make_advisor("new@provider.test",
                                                                grant=False))
    page = client.get("/").get_data(as_text=True)
    assert "Urgent" not in page
    assert stored(console_app, case_id).urgent is None
    assert audit_entries(console_app, "read_triage") == []


def test_withdrawn_and_closed_cases_are_not_new(console_app, key, advisor_client, today):
    waiting = make_case(console_app, key)
    withdrawn = make_case(console_app, key, received_on=date(2024, 1, 8),
                          withdrawn_on=date(2024, 1, 9))
    withdrawn_open = make_case(console_app, key, status="open", received_on=date(2024, 1, 8),
                               acknowledged_on=date(2024, 1, 8), withdrawn_on=date(2024, 1, 10))
    closed = make_case(console_app, key, status="closed", closed_on=date(2024, 3, 5),
                       closure_reason="declined")
    new_page = html(advisor_client)
    assert waiting in new_page
    assert withdrawn not in new_page and closed not in new_page
    assert "New (1)" in new_page and "Open (0)" in new_page and "Closed (3)" in new_page
    assert withdrawn_open not in html(advisor_client, "/?status=open")
    finished = html(advisor_client, "/?status=closed")
    row = inbox_row(finished, withdrawn)
    assert "Withdrawn" in row and "9 Jan 2024" in row
    assert closed in finished and withdrawn_open in finished


def test_a_case_with_no_contact_details_has_a_first_reply_due_and_no_contact_rows(
    console_app, key, advisor_client, today
):
    case_id = make_case(console_app, key, fields=NO_CONTACT | {"urgency": ""},
                        received_on=date(2024, 3, 4), acknowledged_on=date(2024, 3, 4),
                        status="open")
    row = inbox_row(html(advisor_client, "/?status=open"), case_id)
    assert "First contact attempt" not in row and "First reply by 6 Mar 2024" in row
    page = html(advisor_client, f"/cases/{case_id}")
    assert "First contact attempt</th>" not in page and "First reply</th>" in page
    for question in ("Phone number", "Email address", "Is it safe to call this number?",
                     "What can we leave in a voicemail?", "What should we do if someone else"):
        assert question not in page
    assert "No contact details" in page  # the answer they gave is still shown
    assert "Your first reply in the messages below counts as the first contact attempt" in page


def first_contact_events(app, case_id: str) -> list[OutboxItem]:
    with app.app_context():
        return list(console_db.session.scalars(console_db.select(OutboxItem).where(
            OutboxItem.id == f"event:{case_id}:first_contact_attempted")))


def test_the_first_reply_to_someone_with_no_contact_details_is_their_first_contact_attempt(
    console_app, key, advisor_client, today
):
    case_id = make_case(console_app, key, fields=NO_CONTACT, received_on=date(2024, 3, 4),
                        acknowledged_on=date(2024, 3, 4), status="open")
    html(advisor_client, f"/cases/{case_id}")  # the advisor's keys learn it is not contactable
    post_form(advisor_client, f"/cases/{case_id}/reply", {"body": "Hello, I am your advisor"})
    assert stored(console_app, case_id).first_contact_on == date(2024, 3, 6)
    [event] = first_contact_events(console_app, case_id)
    assert event.path == f"/referrals/{case_id}/events/first_contact_attempted"
    assert json.loads(event.body) == {"on": "2024-03-06"}  # intake measures the KPI by it
    [entry] = [e for e in audit_entries(console_app, "case_event")
               if e.detail.startswith("first_contact_attempted")]
    assert entry.subject == f"case:{case_id}" and "Hello" not in entry.detail
    row = inbox_row(html(advisor_client, "/?status=open"), case_id)
    assert "First reply by" not in row
    today.set(date(2024, 3, 8))  # a later reply moves nothing
    post_form(advisor_client, f"/cases/{case_id}/reply", {"body": "Checking in again"})
    assert stored(console_app, case_id).first_contact_on == date(2024, 3, 6)


def test_a_reply_to_someone_with_contact_details_is_not_taken_as_a_contact_attempt(
    console_app, key, advisor_client, today
):
    case_id = make_case(console_app, key, received_on=date(2024, 3, 4), status="open",
                        acknowledged_on=date(2024, 3, 4))
    html(advisor_client, f"/cases/{case_id}")
    post_form(advisor_client, f"/cases/{case_id}/reply", {"body": "I will phone you today"})
    assert stored(console_app, case_id).first_contact_on is None
    assert first_contact_events(console_app, case_id) == []


def test_a_case_with_contact_details_still_has_its_first_contact_due(
    console_app, key, advisor_client, today
):
    case_id = make_case(console_app, key, received_on=date(2024, 3, 4), status="open",
                        acknowledged_on=date(2024, 3, 4), fields={"urgency": ""})
    row = inbox_row(html(advisor_client, "/?status=open"), case_id)
    assert "First contact attempt by 6 Mar 2024" in row
    page = html(advisor_client, f"/cases/{case_id}")
    assert "First contact attempt</th>" in page and "Phone number" in page


def banner(page: str) -> str:
    match = re.search(r'<div class="govuk-notification-banner govuk-notification-banner--success"'
                      r'.*?<div class="govuk-notification-banner__content">(.*?)</div>', page, re.S)
    assert match, "no success banner"
    return " ".join(match.group(1).split())


def follow(client, response) -> str:
    assert response.status_code == 303
    return html(client, response.headers["Location"].split("#")[0])


def test_each_action_on_a_case_ends_with_a_success_banner(
    console_app, key, advisor_client, today
):
    case_id = make_case(console_app, key, referrer=PrivateKey.generate())
    base = f"/cases/{case_id}"
    steps = [
        ("/progress", {"event": "acknowledged", **date_fields("on", date(2024, 3, 5))},
         "Progress saved: acknowledged on 5 March 2024."),
        ("/notes/new", {"body": "Called, no answer"}, "Note added."),
        ("/assign", {"advisor": None}, "You assigned this case to yourself."),
        ("/close", {"reason": "declined", **date_fields("on", date(2024, 3, 6))},
         "Case closed: support was declined."),
    ]
    with console_app.app_context():
        me = console_db.session.scalars(console_db.select(Advisor.id)).one()
    for path, data, words in steps:
        data = {"advisor": me} if path == "/assign" else data
        page = follow(advisor_client, post_form(advisor_client, base + path, data))
        assert words in banner(page), path
        # Shown once: the next page has no banner.
        assert "govuk-notification-banner--success" not in html(advisor_client, base)


def test_sending_a_reply_ends_with_a_success_banner_shown_once(
    console_app, key, advisor_client, today
):
    case_id = make_case(console_app, key)  # version 2: the referrer's reply key inside
    base = f"/cases/{case_id}"
    response = post_form(advisor_client, base + "/reply", {"body": "We can talk on Tuesday"})
    assert response.headers["Location"].endswith("#messages")
    page = follow(advisor_client, response)
    assert "Reply sent. The referrer will see it" in banner(page)
    assert page.count("govuk-notification-banner--success") == 1
    assert "We can talk on Tuesday" in page
    [entry] = audit_entries(console_app, "send_reply")
    assert entry.subject == f"case:{case_id}"
    assert "govuk-notification-banner--success" not in html(advisor_client, base)


def test_a_case_added_by_phone_is_confirmed_with_a_banner(console_app, key, advisor_client,
                                                          today):
    data = {"source": "phone", **date_fields("on", date(2024, 3, 6)), "service": "idva",
            "name": "Sam", "phone": "07700 900982"}
    response = post_form(advisor_client, "/cases/new", data)
    assert "added." in banner(follow(advisor_client, response))


@pytest.mark.parametrize("path", ["/", "/cases/new", "/sync"])
def test_console_tab_titles_name_the_console_not_the_intake(advisor_client, path, today):
    title = re.search(r"<title>(.*?)</title>", html(advisor_client, path), re.S).group(1)
    assert title.strip().endswith("– Advisor console")
    assert "Staff support" not in title


def test_the_sign_in_page_title_names_the_console(console_app):
    page = console_app.test_client().get("/sign-in").get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert title.strip() == "Sign in – Advisor console"
