"""Deny by default: every console URL, with every method, refuses whoever may not use it.

CSRF checking is switched off here so that the access guards, not the CSRF check, are what
answer a POST; the CSRF check is a second, separate lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from app.extensions import console_db
from app.models.console import Advisor
from tests.console.conftest import Staff, sign_in_as

# Reachable without being signed in: the sign-in and account-setup steps themselves.
PUBLIC = {
    "console.sign_in", "console.sign_in_code", "console.setup", "console.setup_two_factor",
    # Liveness and readiness for the load balancer: a fixed word, nothing about the service.
    "healthz", "readyz",
}
# Every signed-in account needs these, granted or not.
ANY_ACCOUNT = {"console.sign_out", "console.no_access"}
MANAGER_ONLY_PREFIX = "/team"


def console_requests(app: Flask) -> Iterator[tuple[str, str, str]]:
    """(endpoint, method, url) for every console rule and method, with placeholder ids."""
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint in PUBLIC:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, adapter.build(rule.endpoint, _placeholders(rule), method)


def _placeholders(rule: Rule) -> dict[str, str]:
    return {name: "0" * 32 for name in rule.arguments}


def call(client: FlaskClient, method: str, url: str) -> TestResponse:
    return client.open(url, method=method, data={})


def refused_towards_sign_in(response: TestResponse) -> bool:
    redirected = response.status_code in (302, 303) and "/sign-in" in response.location
    return redirected or response.status_code == 403


@pytest.fixture
def app(console_app: Flask) -> Flask:
    console_app.config["WTF_CSRF_ENABLED"] = False
    return console_app


@pytest.fixture
def no_grant(app: Flask, make_advisor: Callable[..., Staff]) -> FlaskClient:
    return sign_in_as(app.test_client(), make_advisor("nogrant@provider.test", grant=False))


def test_the_url_map_has_the_pages_this_file_is_about(app: Flask) -> None:
    endpoints = {endpoint for endpoint, _, _ in console_requests(app)}
    assert {"console.inbox", "console.team", "console.advisor_action"} <= endpoints
    assert len(endpoints) > 8


def test_anonymous_visitors_are_refused_everywhere(app: Flask) -> None:
    client = app.test_client()
    for endpoint, method, url in console_requests(app):
        response = call(client, method, url)
        assert refused_towards_sign_in(response), (endpoint, method, response.status_code)


def test_a_password_without_the_second_factor_is_refused_everywhere(
    app: Flask, make_advisor: Callable[..., Staff]
) -> None:
    # A Flask-Login user id in the session without the unwrapped key counts for nothing.
    staff = make_advisor("halfway@provider.test", role="manager")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = staff.id
        session["_fresh"] = True
    for endpoint, method, url in console_requests(app):
        response = call(client, method, url)
        assert response.status_code in (302, 303), (endpoint, method, response.status_code)
        assert "/sign-in" in response.location


def test_a_signed_in_advisor_without_a_grant_is_forbidden_everywhere_else(
    app: Flask, no_grant: FlaskClient
) -> None:
    for endpoint, method, url in console_requests(app):
        if endpoint in ANY_ACCOUNT:
            continue
        response = call(no_grant, method, url)
        assert response.status_code == 403, (endpoint, method, response.status_code)


def test_a_signed_in_advisor_without_a_grant_can_see_the_no_access_page(
    no_grant: FlaskClient,
) -> None:
    assert no_grant.get("/no-access").status_code == 200


def test_manager_pages_refuse_an_advisor_who_holds_a_grant(
    app: Flask, advisor_client: FlaskClient
) -> None:
    manager_pages = [r for r in console_requests(app) if r[2].startswith(MANAGER_ONLY_PREFIX)]
    assert len(manager_pages) >= 5
    for endpoint, method, url in manager_pages:
        response = call(advisor_client, method, url)
        assert response.status_code == 403, (endpoint, method, response.status_code)


def test_a_deactivated_account_is_refused_everywhere(
    app: Flask, make_advisor: Callable[..., Staff]
) -> None:
    staff = make_advisor("gone@provider.test", role="manager")
    with app.app_context():
        console_db.session.get(Advisor, staff.id).active = False
        console_db.session.commit()
    client = sign_in_as(app.test_client(), staff)
    for endpoint, method, url in console_requests(app):
        response = call(client, method, url)
        assert refused_towards_sign_in(response), (endpoint, method, response.status_code)
