"""The inbox: tabs, filters, pages of 25, and SLA highlighting, from clear columns."""

from datetime import date

import pytest

from tests.console.case_factory import Today, make_case
from tests.console.conftest import sign_in_as


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Today:
    return Today(monkeypatch)


@pytest.fixture
def key(provider_keys):
    return provider_keys.recipient.public_key


def page(client, query: str = "") -> str:
    response = client.get("/" + query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_inbox_lists_new_cases_with_their_reference_service_date_source_and_assignee(
    console_app, key, advisor_client, today
):
    case_id = make_case(console_app, key, received_on=date(2024, 3, 5), service="idva")
    html = page(advisor_client)
    assert f'href="/cases/{case_id}"' in html
    assert case_id[:8] in html
    assert "IDVA" in html
    assert "5 Mar 2024" in html
    assert "Online" in html
    assert "Unassigned" in html
    assert "Acknowledge by 6 Mar 2024" in html


def test_the_inbox_opens_no_referral_whose_urgency_it_already_knows(
    console_app, key, advisor_client, monkeypatch
):
    make_case(console_app, key, urgent=False, contactable=True)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the inbox decrypted something")

    for module in ("crypto.envelope", "app.console.cases", "app.console.casework"):
        monkeypatch.setattr(f"{module}.open_record", refuse)
    assert "Cases" in page(advisor_client)


def test_the_tabs_show_new_open_and_closed_cases_with_their_counts(
    console_app, key, advisor_client
):
    new = make_case(console_app, key)
    opened = make_case(console_app, key, status="open", acknowledged_on=date(2024, 3, 4))
    closed = make_case(console_app, key, status="closed", closed_on=date(2024, 3, 5),
                       closure_reason="declined")
    html = page(advisor_client)
    assert "New (1)" in html and "Open (1)" in html and "Closed (1)" in html
    assert new in html and opened not in html and closed not in html
    assert opened in page(advisor_client, "?status=open")
    closed_page = page(advisor_client, "?status=closed")
    assert closed in closed_page and new not in closed_page


def test_the_inbox_filters_by_service(console_app, key, advisor_client):
    idva = make_case(console_app, key, service="idva")
    isva = make_case(console_app, key, service="isva")
    html = page(advisor_client, "?service=isva")
    assert isva in html and idva not in html
    assert "New (1)" in html


def test_the_inbox_filters_by_advisor_including_mine_and_unassigned(
    console_app, key, make_advisor, today
):
    me = make_advisor("me@provider.test")
    other = make_advisor("other@provider.test")
    client = sign_in_as(console_app.test_client(), me)
    mine = make_case(console_app, key, assigned_to=me.id)
    theirs = make_case(console_app, key, assigned_to=other.id)
    nobody = make_case(console_app, key)

    assert [c in page(client, "?assigned=mine") for c in (mine, theirs, nobody)] == [
        True, False, False]
    assert [c in page(client, "?assigned=unassigned") for c in (mine, theirs, nobody)] == [
        False, False, True]
    assert [c in page(client, f"?assigned={other.id}") for c in (mine, theirs, nobody)] == [
        False, True, False]
    everyone = page(client)
    assert all(c in everyone for c in (mine, theirs, nobody))
    assert "Other" in everyone  # the assignee's name


def test_the_inbox_shows_25_cases_a_page_oldest_first_with_govuk_pagination(
    console_app, key, advisor_client
):
    ids = [make_case(console_app, key, received_on=date(2024, 1, 1 + n)) for n in range(30)]
    first = page(advisor_client)
    assert sum(case_id in first for case_id in ids) == 25
    assert ids[0] in first and ids[29] not in first
    assert 'class="govuk-pagination' in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = page(advisor_client, "?page=2")
    assert sum(case_id in second for case_id in ids) == 5
    assert ids[29] in second and 'rel="prev"' in second
    assert "page 2 of 2" in second


def test_a_page_past_the_end_shows_the_last_page(console_app, key, advisor_client):
    case_id = make_case(console_app, key)
    assert case_id in page(advisor_client, "?page=99")
    assert case_id in page(advisor_client, "?page=not-a-number")


def test_a_christmas_referral_is_due_on_the_wednesday_and_overdue_on_the_thursday(
    console_app, key, advisor_client, today
):
    make_case(console_app, key, received_on=date(2023, 12, 22))  # the Friday before
    today.set(date(2023, 12, 27))
    due = page(advisor_client)
    assert "Acknowledge by 27 Dec 2023" in due
    assert "Due today" in due and "Overdue" not in due

    today.set(date(2023, 12, 28))
    overdue = page(advisor_client)
    # A tag in words, with hidden text for screen readers, not colour alone.
    assert "govuk-tag govuk-tag--red\">Overdue" in overdue
    assert 'class="govuk-visually-hidden">: acknowledge was due 27 Dec 2023' in overdue


def test_an_acknowledged_case_shows_its_first_contact_due_date_next(
    console_app, key, advisor_client, today
):
    make_case(console_app, key, received_on=date(2023, 12, 22), status="open",
              acknowledged_on=date(2023, 12, 27), fields={"urgency": ""})
    today.set(date(2023, 12, 28))
    html = page(advisor_client, "?status=open")
    assert "First contact attempt by 28 Dec 2023" in html
    assert "Overdue" not in html


def test_a_case_known_to_be_urgent_is_overdue_a_day_sooner(console_app, key, advisor_client, today):
    make_case(console_app, key, received_on=date(2023, 12, 22), status="open",
              acknowledged_on=date(2023, 12, 27), urgent=True)
    today.set(date(2023, 12, 28))
    html = page(advisor_client, "?status=open")
    assert "First contact attempt by 27 Dec 2023" in html
    assert "Overdue" in html and "Urgent" in html


def test_the_inbox_needs_a_signed_in_advisor(console_app):
    response = console_app.test_client().get("/")
    assert response.status_code == 302


def test_an_unknown_filter_is_ignored_rather_than_an_error(console_app, key, advisor_client):
    case_id = make_case(console_app, key)
    assert case_id in page(advisor_client, "?status=deleted&service=<script>")
    assert "<script>" not in page(advisor_client, "?assigned=<script>")
