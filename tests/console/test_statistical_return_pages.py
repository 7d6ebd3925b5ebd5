"""The manager's return pages: preview exactly what leaves, send it once, and nothing else leaves.

Intake is replaced here by a recorder of what the console would send; the end-to-end test
against a real intake is in test_statistical_return_intake.py.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.console.intake_client import Answer, IntakeRefused, IntakeUnavailable
from app.models.console import utcnow
from tests.console.case_factory import Today, audit_entries, csrf_token
from tests.console.conftest import ProviderKeys, Staff
from tests.console.test_statistical_return import (
    fixed_today,
    make_quarter_cases,
    signed_in_manager,
)

PAGE = "/returns/2024-25-Q1"
SENT_JSON = re.compile(r'<pre class="govuk-body-s" id="return-json">(.*?)</pre>', re.S)
DIGEST = re.compile(r'name="digest"[^>]*value="([0-9a-f]+)"')


class Recorder:
    """Stands in for the intake client: keeps every PUT, answers like intake would."""

    def __init__(self) -> None:
        self.puts: list[tuple[str, dict[str, Any]]] = []
        self.refuse: IntakeRefused | IntakeUnavailable | None = None

    def put(self, path: str, body: dict[str, Any]) -> Answer:
        if self.refuse:
            raise self.refuse
        self.puts.append((path, json.loads(json.dumps(body))))
        return Answer(201, {"period": body["period"], "tables": list(body["tables"]),
                            "released_on": "2024-07-15"})


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Today:
    return fixed_today(monkeypatch)


@pytest.fixture
def quarter_cases(console_app: Flask, provider_keys: ProviderKeys, today: Today) -> list[str]:
    return make_quarter_cases(console_app, provider_keys)


@pytest.fixture
def manager_client(console_app: Flask, make_advisor: Callable[..., Staff]) -> FlaskClient:
    return signed_in_manager(console_app, make_advisor)


@pytest.fixture
def intake(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr("app.console.return_views.client_from_config", lambda config: recorder)
    return recorder


def preview(client: FlaskClient) -> tuple[str, dict[str, Any], str]:
    page = client.get(PAGE)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    shown = SENT_JSON.search(text)
    digest = DIGEST.search(text)
    assert shown and digest
    return text, json.loads(html.unescape(shown.group(1))), digest.group(1)


def send(client: FlaskClient, digest: str, **extra: str) -> Any:
    data = {"csrf_token": csrf_token(client), "digest": digest} | extra
    return client.post(PAGE, data=data)


def numbers(value: Any) -> list[int]:
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers(v)]
    return [value] if isinstance(value, int) else []


def test_the_preview_shows_every_table_with_suppressed_cells_marked(
    quarter_cases, manager_client
):
    text, _, _ = preview(manager_client)
    assert text.count('<table class="govuk-table">') == 13
    assert "Ethnic group" in text and "Outcome of cases closed in the period" in text
    assert "[c]" in text
    assert "Counts under 10 are withheld and shown as [c]" in text
    assert "rounded to the nearest 5" in text


def test_what_is_sent_is_exactly_the_json_the_preview_showed(
    quarter_cases, manager_client, intake
):
    _, shown, digest = preview(manager_client)
    response = send(manager_client, digest)
    assert response.status_code == 303 and response.location.endswith("/returns")
    ((path, body),) = intake.puts
    assert path == "/returns/2024-25-Q1"
    assert body == shown


def test_the_return_sent_carries_no_case_and_no_count_under_the_threshold(
    quarter_cases, manager_client, intake
):
    _, _, digest = preview(manager_client)
    send(manager_client, digest)
    ((_, body),) = intake.puts
    raw = json.dumps(body)
    assert not [case_id for case_id in quarter_cases if case_id in raw]
    assert set(body) == {"period", "rules", "tables"}
    for table in body["tables"].values():
        assert set(table) == {"rows", "total"}
    # Every figure is a released count (multiple of 5, at least 10) or a rule.
    figures = numbers(body["tables"])
    assert figures and all(n % 5 == 0 and n >= 10 for n in figures)
    # The true counts under 10 in the quarter (3 not sure, 7 by phone, 1 contractor, ...) and
    # the 40 cases' number of answers given are nowhere in the request.
    assert not {1, 2, 3, 4, 6, 7, 11, 12, 14, 21, 22, 27} & set(figures)


def test_sending_is_audited_with_the_period_only_and_the_list_shows_it_sent(
    quarter_cases, manager_client, intake
):
    _, _, digest = preview(manager_client)
    send(manager_client, digest)
    (entry,) = audit_entries(manager_client.application, "submit_return")
    assert (entry.subject, entry.detail) == ("period:2024-25 Q1", "")
    listing = manager_client.get("/returns").get_data(as_text=True)
    assert f"Sent {utcnow():%-d %b %Y}" in listing
    assert "A quarter’s return can only be sent once" in manager_client.get(PAGE).get_data(
        as_text=True
    )


def test_a_second_return_for_the_quarter_shows_intakes_refusal(
    quarter_cases, manager_client, intake
):
    _, _, digest = preview(manager_client)
    intake.refuse = IntakeRefused(409, "conflict", "The return for 2024-25 Q1 was already released")
    page = send(manager_client, digest)
    assert page.status_code == 303
    shown = manager_client.get(page.location).get_data(as_text=True)
    assert "did not accept the return for 2024-25 Q1: The return for 2024-25 Q1 was already" in (
        html.unescape(shown)
    )
    assert not audit_entries(manager_client.application, "submit_return")
    (refused,) = audit_entries(manager_client.application, "submit_return_refused")
    assert (refused.subject, refused.detail) == ("period:2024-25 Q1", "409")


def test_an_unreachable_intake_sends_nothing_and_says_to_try_again(
    quarter_cases, manager_client, intake
):
    _, _, digest = preview(manager_client)
    intake.refuse = IntakeUnavailable("intake could not be reached")
    page = send(manager_client, digest)
    shown = manager_client.get(page.location).get_data(as_text=True)
    assert "could not be reached, so nothing was sent" in shown
    assert not audit_entries(manager_client.application, "submit_return")


def test_figures_that_changed_since_the_preview_are_not_sent(
    console_app, quarter_cases, manager_client, intake, provider_keys
):
    from datetime import date

    from tests.console.case_factory import make_case

    _, _, digest = preview(manager_client)
    for _ in range(5):  # a late sync brings five more cases received in the quarter
        make_case(console_app, provider_keys.recipient.public_key, received_on=date(2024, 6, 3))
    page = send(manager_client, digest)
    assert page.status_code == 303 and page.location.endswith(PAGE)
    assert "The figures changed since you checked them" in manager_client.get(PAGE).get_data(
        as_text=True
    )
    assert intake.puts == []


def test_a_send_without_the_forms_csrf_token_sends_nothing(quarter_cases, manager_client, intake):
    _, _, digest = preview(manager_client)
    page = manager_client.post(PAGE, data={"digest": digest})
    assert page.status_code == 400
    assert intake.puts == []


@pytest.mark.parametrize("period", ["2024-25-Q2", "2025-26-Q1"])
def test_a_quarter_that_has_not_finished_cannot_be_previewed_or_sent(
    quarter_cases, manager_client, intake, period
):
    page = manager_client.get(f"/returns/{period}")
    assert page.status_code == 409
    assert "has not finished yet" in page.get_data(as_text=True)
    sent = manager_client.post(f"/returns/{period}",
                               data={"csrf_token": csrf_token(manager_client), "digest": "0"})
    assert sent.status_code == 409
    assert intake.puts == []


@pytest.mark.parametrize("period", ["2024-25", "2024-25 Q1", "2024-26-Q1", "Q1"])
def test_anything_but_a_quarter_in_the_address_is_not_found(manager_client, period, today):
    assert manager_client.get(f"/returns/{period}").status_code == 404


def test_advisors_who_are_not_the_manager_are_forbidden(
    console_app: Flask, quarter_cases, advisor_client: FlaskClient, intake
):
    assert advisor_client.get("/returns").status_code == 403
    assert advisor_client.get(PAGE).status_code == 403
    token = csrf_token(advisor_client)
    assert advisor_client.post(PAGE, data={"csrf_token": token, "digest": "0"}).status_code == 403
    assert intake.puts == []
    assert not audit_entries(console_app, "prepare_return")


def test_the_list_shows_the_finished_quarters_newest_first(quarter_cases, manager_client):
    text = manager_client.get("/returns").get_data(as_text=True)
    assert text.index("2024-25 Q1") < text.index("2023-24 Q4")
    assert "2024-25 Q2" not in text
    assert 'href="/returns/2024-25-Q1"' in text
