"""Every response of all three surfaces and the delivery API, graded as the Mozilla HTTP
Observatory grades a site, in production configuration behind HTTPS: all must score A+.

The walk is the authorisation matrix's: every route of both apps, every method, as every kind
of caller (tests/callers.py), so pages that only a signed-in analyst, advisor or manager sees
are graded too, along with redirects, refusals, API answers and static files. Error pages
(404, 405, 413, 429, 500 and an expired CSRF token) are graded separately. Over https the
test client sets the scheme ProxyFix sets behind the TLS front, so request.is_secure is true
exactly as in production.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask, abort
from werkzeug.test import TestResponse

import app as app_package
from app import create_console_app, create_intake_app
from app.extensions import console_db, intake_db
from app.web.headers import DENIED_FEATURES
from tests.callers import CALLERS, world_fixture
from tests.conftest import intake_settings
from tests.console.conftest import console_settings
from tests.referrer import CSRF
from tests.test_authorisation_matrix import ENDS_SESSION, body_for, routes
from tests.web.observatory import grade

world = world_fixture()
HTTPS = "https://localhost"


@contextmanager
def in_production(*apps: Flask) -> Iterator[None]:
    """The production settings the headers depend on, for one request at a time (signing in
    again between requests happens as in development, over plain http)."""
    names = ("ENV_NAME", "SESSION_COOKIE_SECURE", "INTAKE_BASE_URL", "CONSOLE_BASE_URL")
    saved = [(app, {name: app.config.get(name) for name in names}) for app in apps]
    for app in apps:
        app.config.update(ENV_NAME="production", SESSION_COOKIE_SECURE=True)
        for base in ("INTAKE_BASE_URL", "CONSOLE_BASE_URL"):
            if base in app.config:
                app.config[base] = HTTPS
    try:
        yield
    finally:
        for app, settings in saved:
            for name, value in settings.items():
                if value is not None:
                    app.config[name] = value


def problems(response: TestResponse) -> list[str]:
    """What issue 9 asks of every response, beyond the Observatory's score."""
    found = []
    headers = response.headers
    policy = {
        part.split()[0]: part.split()[1:]
        for part in headers.get("Content-Security-Policy", "").split(";")
        if part.strip()
    }
    for directive, sources in {
        "default-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "script-src": ["'self'"],
    }.items():
        if policy.get(directive) != sources:
            found.append(f"CSP {directive} is {policy.get(directive)}")
    if "'self'" not in policy.get("style-src", []) or "'unsafe-inline'" in policy["style-src"]:
        found.append(f"CSP style-src is {policy.get('style-src')}")
    if "preload" not in headers.get("Strict-Transport-Security", ""):
        found.append("HSTS without preload")
    expected = {
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }
    for name, value in expected.items():
        if headers.get(name) != value:
            found.append(f"{name} is {headers.get(name)!r}")
    denied = {
        part.split("=")[0].strip()
        for part in headers.get("Permissions-Policy", "").split(",")
        if part.strip().endswith("=()")
    }
    if not set(DENIED_FEATURES) <= denied:
        found.append(f"Permissions-Policy misses {set(DENIED_FEATURES) - denied}")
    # Static files are the same bytes for everyone and show nothing anyone did, so they may
    # be kept (issue 12: hashed names, immutable); everything else must not be.
    static = response.request.path.startswith("/static/")
    if not static and "no-store" not in headers.get("Cache-Control", ""):
        found.append("cacheable")
    return found


def test_every_response_of_every_surface_scores_a_plus_behind_https_in_production(world):
    for app in world.apps.values():
        app.config["WTF_CSRF_ENABLED"] = False  # so posts reach the pages behind the forms
    failures: list[str] = []
    graded = 0
    for surface, method, rule in routes(world):
        url = world.url_for_rule(surface, rule)
        for name in CALLERS:
            caller = world.callers[name]
            with in_production(*world.apps.values()):
                plain = None
                if method == "GET":
                    plain = caller.open(world, surface, method, url)
                response = caller.open(
                    world, surface, method, url, base_url=HTTPS, **body_for(method, rule)
                )
            result = grade(response, http_response=plain)
            graded += 1
            wrong = problems(response)
            if result.score < 100 or wrong:
                failures.append(f"{surface} {method} {url} as {name} "
                                f"({response.status_code}): {result} {wrong}")
            if rule.rule in ENDS_SESSION and caller.renew:
                caller.renew()
    assert graded >= 500
    assert not failures, "\n".join(failures[:20])


def test_a_plain_http_request_in_production_goes_to_the_configured_https_address(world):
    with in_production(world.intake):
        world.intake.config["INTAKE_BASE_URL"] = "https://refer.example"
        response = world.intake.test_client().get(
            "/referral/start?x=1", headers={"Host": "attacker.example"}
        )
    assert response.status_code == 301
    assert response.location == "https://refer.example/referral/start?x=1"
    assert "Strict-Transport-Security" in response.headers


def test_in_development_over_https_the_cookie_is_secure_and_hsts_is_sent(world):
    client = world.intake.test_client()
    form = client.get("/referral/service", base_url=HTTPS).get_data(as_text=True)
    (token,) = CSRF.findall(form)
    response = client.post(
        "/referral/service", base_url=HTTPS, data={"service": "idva", "csrf_token": token}
    )
    assert response.status_code == 303
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in cookie for cookie in cookies)
    assert "preload" in response.headers["Strict-Transport-Security"]
    over_http = world.intake.test_client().get("/")
    assert "Strict-Transport-Security" not in over_http.headers


# --- error pages -----------------------------------------------------------------------------


@pytest.fixture
def console_app_with_failures(console_database_url: str) -> Iterator[Flask]:
    console = create_console_app(console_settings(console_database_url))
    with console.app_context():
        console_db.create_all()
    add_failing_routes(console)
    yield console
    with console.app_context():
        console_db.session.remove()
        console_db.drop_all()
        console_db.engine.dispose()


def add_failing_routes(app: Flask) -> None:
    """Routes that fail as only a bug or the rate limiter would (test apps only)."""

    def crash() -> str:
        raise RuntimeError("a bug")

    def limited() -> str:
        abort(429)

    app.add_url_rule("/test-only/crash", "test_crash", crash)
    app.add_url_rule("/test-only/limited", "test_limited", limited)


def error_responses(app: Flask, form_url: str) -> dict[str, TestResponse]:
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    with in_production(app):
        return {
            "404": client.get("/no-such-page", base_url=HTTPS),
            "405": client.delete(form_url, base_url=HTTPS),
            "413": client.post(form_url, base_url=HTTPS, data={"x": "y" * 300_000}),
            "429": client.get("/test-only/limited", base_url=HTTPS),
            "500": client.get("/test-only/crash", base_url=HTTPS),
            "csrf": client.post(form_url, base_url=HTTPS, data={"email": "a@b.test"}),
            "api 404": client.get("/api/v1/no-such-feed", base_url=HTTPS),
            "static": client.get("/static/favicon.svg", base_url=HTTPS),
        }


def test_every_error_page_scores_a_plus_behind_https_in_production(
    app, console_app_with_failures
):
    add_failing_routes(app)
    answers = {
        **{f"intake {k}": v for k, v in error_responses(app, "/return").items()},
        **{
            f"console {k}": v
            for k, v in error_responses(console_app_with_failures, "/sign-in").items()
        },
    }
    codes = {name: response.status_code for name, response in answers.items()}
    assert codes["intake 404"] == codes["console 404"] == 404
    assert codes["intake 405"] == codes["console 405"] == 405
    assert codes["intake 413"] == codes["console 413"] == 413
    assert codes["intake 429"] == codes["console 429"] == 429
    assert codes["intake 500"] == codes["console 500"] == 500
    assert codes["intake csrf"] == codes["console csrf"] == 400
    assert codes["intake static"] == 200
    for name, response in answers.items():
        result = grade(response)
        assert result.score >= 100, f"{name}: {result}"
        assert not problems(response), (name, problems(response))


# --- the grader itself ----------------------------------------------------------------------


def test_the_grader_fails_a_site_without_the_headers(app):
    bare = app.response_class("<p>hi</p>", mimetype="text/html")
    bare.headers.add("Set-Cookie", "session=1; Path=/")

    class Request:
        host = "localhost"

    bare.request = Request()  # type: ignore[attr-defined]
    result = grade(bare)  # type: ignore[arg-type]
    assert result.score == 0 and result.letter == "F", str(result)


# --- forms over https without a Referer -----------------------------------------------------


def test_a_form_posted_from_another_site_is_refused_even_with_a_valid_token(world):
    client = world.intake.test_client()
    form = client.get("/referral/service", base_url=HTTPS).get_data(as_text=True)
    (token,) = CSRF.findall(form)
    data = {"service": "idva", "csrf_token": token}
    cross = client.post(
        "/referral/service", base_url=HTTPS, data=data, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403
    same = client.post(
        "/referral/service", base_url=HTTPS, data=data, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert same.status_code == 303  # and no Referer: the policy is no-referrer


# --- behind the TLS front, for real -----------------------------------------------------------


def test_behind_one_trusted_proxy_the_cookie_is_secure_and_hsts_is_sent(
    app, provider_key, database_url, monkeypatch
):
    """The production app itself (ProxyFix with TRUSTED_PROXIES=1) over plain http from the
    TLS terminator, which says X-Forwarded-Proto: https: the app treats it as https."""
    real_refusal = app_package.refuse_unsafe_production
    monkeypatch.setattr(  # judged as on PostgreSQL, so the SQLite run still checks the rest
        app_package,
        "refuse_unsafe_production",
        lambda config: real_refusal(
            {**config, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db.invalid/intake"}
        ),
    )
    production = create_intake_app({
        **intake_settings(database_url),
        "ENV_NAME": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "REFERENCE_PEPPER": secrets.token_bytes(32),
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "TRUSTED_PROXIES": 1,
        "PINNED_PROVIDER_KEYS": dict(app.config["PINNED_PROVIDER_KEYS"]),
        "INTAKE_BASE_URL": "https://localhost",
        "SESSION_COOKIE_SECURE": False,  # so only the forwarded https can make it Secure
    })
    front = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.1"}
    client = production.test_client()
    assert client.get("/referral/service").status_code == 301  # no proxy header: to https
    form = client.get("/referral/service", headers=front)
    assert form.status_code == 200
    (token,) = CSRF.findall(form.get_data(as_text=True))
    answered = client.post(
        "/referral/service", headers=front, data={"service": "idva", "csrf_token": token}
    )
    assert answered.status_code == 303
    cookies = answered.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in c and "HttpOnly" in c for c in cookies)
    result = grade(answered)
    assert result.score >= 100, str(result)
    with production.app_context():
        intake_db.engine.dispose()
