"""The return end to end: the manager sends it from the console to a real intake over HTTP.

Intake checks it against its own rules and releases each quarter once; what it stores is
exactly the protected tables the manager saw, and nothing about any case.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import intake_db
from app.models.standards import Release
from tests.console.case_factory import Today, csrf_token
from tests.console.conftest import Staff
from tests.console.test_statistical_return import (
    fixed_today,
    make_quarter_cases,
    signed_in_manager,
)
from tests.two_apps import Linked, linked_fixture  # noqa: F401

PAGE = "/returns/2024-25-Q1"
SENT_JSON = re.compile(r'<pre class="govuk-body-s" id="return-json">(.*?)</pre>', re.S)
DIGEST = re.compile(r'name="digest"[^>]*value="([0-9a-f]+)"')


@pytest.fixture
def manager_client(
    linked: Linked, make_advisor: Callable[..., Staff], monkeypatch: pytest.MonkeyPatch
) -> FlaskClient:
    today: Today = fixed_today(monkeypatch)
    assert today
    make_quarter_cases(linked.console, linked.keys)
    return signed_in_manager(linked.console, make_advisor)


def preview(client: FlaskClient) -> tuple[dict, str]:
    text = client.get(PAGE).get_data(as_text=True)
    return json.loads(html.unescape(SENT_JSON.search(text).group(1))), DIGEST.search(text)[1]


def send(client: FlaskClient, digest: str) -> str:
    answer = client.post(PAGE, data={"csrf_token": csrf_token(client), "digest": digest})
    assert answer.status_code == 303
    return html.unescape(client.get(answer.location).get_data(as_text=True))


def stored_tables(intake: Flask) -> dict[str, dict]:
    with intake.app_context():
        rows = intake_db.session.scalars(select(Release).where(Release.period == "2024-25 Q1"))
        return {row.table_name: json.loads(row.content) for row in rows}


def test_intake_releases_exactly_the_tables_the_manager_saw(linked: Linked, manager_client):
    shown, digest = preview(manager_client)
    assert "The return for 2024-25 Q1 was sent." in send(manager_client, digest)
    stored = stored_tables(linked.intake)
    assert set(stored) == set(shown["tables"])
    for name, table in shown["tables"].items():
        assert (stored[name]["rows"], stored[name]["total"]) == (table["rows"], table["total"])
        assert stored[name]["rules"] == {"threshold": 10, "rounding_base": 5}


def test_a_second_return_for_the_quarter_is_refused_with_intakes_words(
    linked: Linked, manager_client
):
    _, digest = preview(manager_client)
    send(manager_client, digest)
    assert "A quarter’s return can only be sent once" in manager_client.get(PAGE).get_data(
        as_text=True
    )
    # Sent again from the page as it was before (the figures are the same, so is the digest).
    page = send(manager_client, digest)
    assert "did not accept the return for 2024-25 Q1: The return for 2024-25 Q1 was released" in (
        page
    )
    assert len(stored_tables(linked.intake)) == 13
