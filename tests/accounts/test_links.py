"""Setup links come from the configured base URL, never from the request's Host header
(issue 9 item 6), and production refuses to start without one."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from app.config import ConfigurationError, console_config, intake_config, refuse_unsafe_production
from tests.console.accounts_support import CSRF, Person, cli, new_manager, setup_token
from tests.console.conftest import console_app, provider_keys  # noqa: F401 - fixtures
from tests.standards.conftest import cli as standards_cli

CONSOLE = "https://console.provider.example"
INTAKE = "https://referral.police.example"
HOSTILE = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
LINK = re.compile(r"(https?://[^\s<>\"']+?)/setup/[A-Za-z0-9_-]{20,}")


def links_in(text: str) -> list[str]:
    return [match.group(1) for match in LINK.finditer(text)]


def test_create_manager_and_reset_sign_in_print_full_links_under_the_console_base_url(
    console_app: Flask,  # noqa: F811
) -> None:
    console_app.config["CONSOLE_BASE_URL"] = CONSOLE + "/"
    created = cli(console_app, "create-manager", "boss@provider.test", "Bo Manager")
    assert links_in(created.output) == [CONSOLE]
    Person(console_app, "boss@provider.test").set_up(setup_token(created.output))
    reset = cli(console_app, "reset-sign-in", "boss@provider.test")
    assert links_in(reset.output) == [CONSOLE]


def test_the_team_page_link_uses_the_configured_base_url_even_with_a_hostile_host_header(
    console_app: Flask,  # noqa: F811
) -> None:
    console_app.config["CONSOLE_BASE_URL"] = CONSOLE
    manager = new_manager(console_app)
    manager.sign_in()
    client = manager.client
    cookie_name = console_app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(cookie_name)
    assert cookie is not None
    client.set_cookie(cookie_name, cookie.value, domain="evil.example")  # the browser's, sent on
    team = client.get("/team", headers=HOSTILE).get_data(as_text=True)
    token = CSRF.search(team)
    assert token
    page = client.post(
        "/team/invite",
        data={
            "name": "Alex Advisor",
            "email": "alex@provider.test",
            "role": "advisor",
            "csrf_token": token.group(1),
        },
        headers=HOSTILE,
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    assert links_in(html) == [CONSOLE]
    assert "evil.example" not in html


def test_create_analyst_prints_a_full_link_under_the_intake_base_url(
    analysts_app: Flask,
) -> None:
    analysts_app.config["INTAKE_BASE_URL"] = INTAKE
    created = standards_cli(analysts_app, "create-analyst", "dana@dps.test", "Dana")
    assert links_in(created.output) == [f"{INTAKE}/standards"]
    reset = standards_cli(analysts_app, "reset-analyst", "dana@dps.test")
    assert links_in(reset.output) == [f"{INTAKE}/standards"]


def test_development_defaults_point_at_the_two_local_apps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("SAFE_REFERRAL_ENV", "CONSOLE_BASE_URL", "INTAKE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert console_config()["CONSOLE_BASE_URL"] == "http://127.0.0.1:5001"
    assert intake_config()["INTAKE_BASE_URL"] == "http://127.0.0.1:5000"


@pytest.mark.parametrize(
    ("make_config", "name"),
    [(console_config, "CONSOLE_BASE_URL"), (intake_config, "INTAKE_BASE_URL")],
)
def test_production_refuses_to_start_without_a_base_url(
    monkeypatch: pytest.MonkeyPatch, make_config: object, name: str
) -> None:
    monkeypatch.setenv("SAFE_REFERRAL_ENV", "production")
    monkeypatch.delenv(name, raising=False)
    config = make_config()  # type: ignore[operator]
    assert config[name] == ""
    with pytest.raises(ConfigurationError, match=name):
        refuse_unsafe_production(config)
