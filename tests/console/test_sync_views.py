"""The sync button (advisors, CSRF protected) and `flask console sync` (once, or in a loop)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.console import commands
from app.extensions import console_db
from app.models.console import AuditEntry
from tests.console.conftest import Staff, sign_in_as
from tests.two_apps import Linked, linked_fixture  # noqa: F401

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _advisor(linked: Linked, make_advisor: Callable[..., Staff], **kwargs: object) -> FlaskClient:
    return sign_in_as(linked.console.test_client(), make_advisor(**kwargs))


def _press(client: FlaskClient) -> str:
    page = client.get("/sync").get_data(as_text=True)
    token = CSRF.search(page)
    assert token, page[:1000]
    response = client.post("/sync", data={"csrf_token": token.group(1)})
    assert response.status_code == 303 and response.location.endswith("/sync")
    return client.get("/sync").get_data(as_text=True)


def test_an_advisor_can_sync_now_and_sees_what_arrived(
    linked: Linked, make_advisor: Callable[..., Staff]
) -> None:
    client = _advisor(linked, make_advisor)
    assert "The console has not synced yet" in client.get("/sync").get_data(as_text=True)
    linked.refer()
    linked.refer()

    page = _press(client)

    assert "2 new cases, 0 new messages, 0 withdrawals, 0 updates sent to intake." in page
    assert "Last sync" in page
    assert linked.counts() == (2, 0)
    with linked.console.app_context():
        actions = console_db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq))
        assert list(actions) == ["sync_requested", "sync"]


def test_the_button_shows_problems_in_plain_words(
    linked: Linked, make_advisor: Callable[..., Staff]
) -> None:
    client = _advisor(linked, make_advisor)
    linked.console.config["INTAKE_API_URL"] = "http://127.0.0.1:9/api/v1"

    page = _press(client)

    # The key-set check comes first in every sync (G2), so that is where it notices.
    assert "1 problem: sending the key set to intake: intake could not be reached" in page


def test_a_sync_without_a_csrf_token_is_refused_and_runs_nothing(
    linked: Linked, make_advisor: Callable[..., Staff]
) -> None:
    client = _advisor(linked, make_advisor)
    linked.refer()

    response = client.post("/sync", data={})

    assert response.status_code in (303, 400)
    assert linked.counts() == (0, 0)


def test_only_signed_in_advisors_with_a_key_grant_may_sync(
    linked: Linked, make_advisor: Callable[..., Staff]
) -> None:
    linked.refer()
    anonymous = linked.console.test_client()
    assert anonymous.get("/sync").status_code == 302
    assert anonymous.post("/sync").status_code in (302, 400)
    no_grant = _advisor(linked, make_advisor, email="new@provider.test", grant=False)
    assert no_grant.get("/sync").status_code == 403
    assert linked.counts() == (0, 0)


def test_the_command_syncs_once_and_prints_counts_only(linked: Linked) -> None:
    linked.refer("Command marker 3317")

    result = linked.console.test_cli_runner().invoke(args=["console", "sync"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "1 new case, 0 new messages, 0 withdrawals, 0 updates sent to intake."
    )
    assert linked.counts() == (1, 0)


def test_the_command_fails_visibly_for_a_timer_when_intake_is_unreachable(linked: Linked) -> None:
    linked.console.config["INTAKE_API_URL"] = "http://127.0.0.1:9/api/v1"

    result = linked.console.test_cli_runner().invoke(args=["console", "sync"])

    assert result.exit_code == 1
    assert "could not be reached" in result.output


def test_the_command_keeps_syncing_every_n_seconds_until_stopped(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 1:
            linked.refer()  # arrives between two runs
        else:
            raise KeyboardInterrupt

    monkeypatch.setattr(commands.time, "sleep", sleep)
    linked.refer()

    result = linked.console.test_cli_runner().invoke(args=["console", "sync", "--every", "30"])

    assert result.exit_code == 0, result.output
    assert waits == [30, 30]
    assert result.output.splitlines() == [
        "1 new case, 0 new messages, 0 withdrawals, 0 updates sent to intake.",
        "1 new case, 0 new messages, 0 withdrawals, 0 updates sent to intake.",
        "Stopped.",
    ]
    assert linked.counts() == (2, 0)
