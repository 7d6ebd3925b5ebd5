"""Deny by default, and two areas that never share a session: an analyst's session opens no
referral, and a referrer's session opens no standards page."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import intake_db
from app.models.intake import DraftSession
from app.models.standards import AnalystSession
from app.standards.access import PUBLIC_ENDPOINTS
from crypto.keyfile import unwrap
from tests.referrer import Referrer
from tests.standards.conftest import new_analyst, ready_analyst, sign_in_as

GUARDED_ARGS = {"slug": "2025-26-Q1", "token": "x" * 43}


def standards_rules(app: Flask) -> list[tuple[str, str, set[str]]]:
    return [
        (rule.endpoint, rule.rule, set(rule.methods or ()) - {"HEAD", "OPTIONS"})
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/standards")
    ]


def url(rule: str) -> str:
    for name, value in GUARDED_ARGS.items():
        rule = rule.replace(f"<{name}>", value)
    return rule


def test_only_sign_in_setup_and_sign_out_are_open_to_anyone(standards_app):
    endpoints = {endpoint for endpoint, _, _ in standards_rules(standards_app)}

    assert endpoints & PUBLIC_ENDPOINTS == PUBLIC_ENDPOINTS
    assert {
        "standards.sign_in",
        "standards.sign_in_code",
        "standards.setup",
        "standards.setup_two_factor",
        "standards.sign_out",
    } == PUBLIC_ENDPOINTS
    assert endpoints - PUBLIC_ENDPOINTS == {
        "standards.about_figures",
        "standards.commissioning_view",
        "standards.dashboard",
        "standards.export",
        "standards.release_log",
    }


def test_every_other_standards_route_sends_an_anonymous_visitor_to_sign_in(standards_app):
    standards_app.config["WTF_CSRF_ENABLED"] = False  # so the guard, not CSRF, answers posts
    client = standards_app.test_client()
    guarded = [r for r in standards_rules(standards_app) if r[0] not in PUBLIC_ENDPOINTS]

    for endpoint, rule, methods in guarded:
        for method in methods:
            response = client.open(url(rule), method=method, data={"csv": "1"})
            assert response.status_code == 302, (endpoint, method)
            assert response.headers["Location"] == "/standards/sign-in", (endpoint, method)


def test_an_anonymous_export_never_returns_a_file_even_with_a_forged_form(standards_app):
    response = standards_app.test_client().post(
        "/standards/periods/2025-26-Q1/export", data={"csv": "1"}
    )

    assert response.status_code in (302, 400)
    assert "Content-Disposition" not in response.headers


@pytest.mark.parametrize(
    "path, status",
    [
        ("/status", 403),
        ("/status/delete", 403),
        ("/api/v1/referrals", 401),
        ("/api/v1/messages", 401),
    ],
)
def test_an_analyst_session_opens_no_referral_and_no_delivery_api(standards_app, path, status):
    client = sign_in_as(standards_app.test_client(), ready_analyst(standards_app))
    assert client.get("/standards/").status_code == 200

    assert client.get(path).status_code == status


def test_a_referrer_signed_in_with_their_phrase_cannot_open_any_standards_page(
    standards_app, referrer: Referrer
):
    phrase = referrer.refer()
    assert referrer.sign_in(phrase).status_code == 303
    assert referrer.client.get("/status").status_code == 200

    for path in ("/standards/", "/standards/releases"):
        response = referrer.client.get(path)
        assert response.headers["Location"] == "/standards/sign-in", path


def stored(app: Flask, model: type, cookie: str) -> dict:
    raw = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
    row_id = hashlib.sha256(raw[:16]).hexdigest()
    with app.app_context():
        sealed = intake_db.session.scalar(select(model.sealed).where(model.id == row_id))
    assert sealed is not None, f"no {model.__tablename__} row for this cookie"
    return json.loads(unwrap(sealed, raw[16:], row_id.encode()))["data"]


def test_one_browser_used_by_both_keeps_two_sessions_that_never_see_each_other(
    standards_app, referrer: Referrer
):
    phrase = referrer.refer()
    referrer.sign_in(phrase)
    dana = new_analyst(standards_app)
    dana.client = referrer.client  # the same browser, cookies and all
    dana.sign_in()

    intake_cookie = referrer.client.get_cookie(standards_app.config["SESSION_COOKIE_NAME"])
    analyst_cookie = referrer.client.get_cookie("standards_session")
    referrer_state = stored(standards_app, DraftSession, intake_cookie.value)
    analyst_state = stored(standards_app, AnalystSession, analyst_cookie.value)

    assert "referrer" in referrer_state and "_user_id" not in referrer_state
    assert "_user_id" in analyst_state and "referrer" not in analyst_state
    assert referrer.client.get("/status").status_code == 200
    assert referrer.client.get("/standards/").status_code == 200
    referrer.client.get("/standards/sign-out")
    assert referrer.client.get("/status").status_code == 200  # signing out of one leaves the other


def test_the_analysts_cookie_is_http_only_and_strict_same_site(standards_app):
    dana = new_analyst(standards_app)
    response = dana.enter_password()

    header = next(
        value
        for value in response.headers.getlist("Set-Cookie")
        if value.startswith("standards_session=")
    )
    assert "HttpOnly" in header
    assert "SameSite=Strict" in header
