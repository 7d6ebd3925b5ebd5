"""Every failure is a documented JSON error, never a 500; no cookies; nothing sensitive logged."""

from __future__ import annotations

import base64
import json
import logging
import secrets
import time
from datetime import date
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import OperationalError
from werkzeug.test import TestResponse

from app import create_intake_app
from app.api import tokens
from app.extensions import intake_db
from app.intake import outgoing
from tests.api import openapi_check
from tests.api.conftest import Console
from tests.referrer import Referrer
from tests.stack.private_servers import SilentDatabase

TODAY = date.today().isoformat()
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
FIELD_VALUES = JSON_VALUES | st.dates().map(date.isoformat) | st.sampled_from(
    ["support_completed", "other", TODAY, "U1JF", base64.b64encode(b"SRE\x01").decode()]
)
BODIES = JSON_VALUES | st.fixed_dictionaries(
    {},
    optional={name: FIELD_VALUES for name in ("on", "reason", "sealed", "sent_on", "extra")},
)


def test_the_openapi_document_is_valid_and_served_without_a_token(console: Console) -> None:
    response = console.get("/openapi.yaml", authorization="")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == openapi_check.DOCUMENT.read_text(encoding="utf-8")
    assert openapi_check.spec()["openapi"].startswith("3.1")


def test_a_body_that_is_not_json_is_400(referral: dict[str, Any], console: Console) -> None:
    response = console.put(f"/referrals/{referral['id']}/events/acknowledged",
                           data='{"on": "2025-', content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"] == "bad_request"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", None]
)
def test_a_body_that_is_not_sent_as_json_is_415(
    referral: dict[str, Any], console: Console, content_type: str | None
) -> None:
    response = console.put(f"/referrals/{referral['id']}/events/acknowledged",
                           data=json.dumps({"on": TODAY}), content_type=content_type)
    assert response.status_code == 415
    assert response.get_json()["error"] == "unsupported_media_type"


def test_a_body_over_128_kib_is_413(referral: dict[str, Any], console: Console) -> None:
    reply_id = secrets.token_urlsafe(16)
    huge = {"sealed": "A" * (200 * 1024), "sent_on": TODAY}
    response = console.put(f"/referrals/{referral['id']}/replies/{reply_id}", json=huge)
    assert response.status_code == 413 and response.get_json()["error"] == "too_large"


@pytest.mark.parametrize("body", [[], "text", 3, None])
def test_a_body_that_is_not_a_json_object_is_422(
    referral: dict[str, Any], console: Console, body: object
) -> None:
    response = console.put(f"/referrals/{referral['id']}/events/acknowledged",
                           data=json.dumps(body), content_type="application/json")
    assert response.status_code == 422


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=501", "limit=ten", "limit=1.5", "limit=-1", "limit=٣",
              "after=a.b", "after=" + "x" * 65]
)
def test_a_bad_limit_or_cursor_is_422(console: Console, query: str) -> None:
    for feed in ("referrals", "withdrawals", "messages"):
        response = console.get(f"/{feed}?{query}")
        assert response.status_code == 422 and response.get_json()["error"] == "invalid"


def test_an_unknown_api_url_is_a_json_404_and_a_wrong_method_a_json_405(
    console: Console,
) -> None:
    assert console.get("/nothing-here").status_code == 404
    response = console.call("DELETE", "/referrals")
    assert response.status_code == 405 and response.get_json()["error"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_an_unexpected_failure_is_a_json_500_and_a_database_outage_a_503(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(outgoing, "pending_referrals", broken)
    assert console.get("/referrals").status_code == 500

    def unavailable(*args: object) -> None:
        raise OperationalError("select", {}, Exception("gone"))

    monkeypatch.setattr(outgoing, "pending_referrals", unavailable)
    response = console.get("/referrals")
    assert response.status_code == 503 and response.get_json()["error"] == "unavailable"
    assert response.headers["Retry-After"] == "30"


def test_no_api_response_sets_a_cookie(referrer: Referrer, console: Console) -> None:
    # Console.call already refuses any Set-Cookie; this walks a whole sync to be sure.
    phrase = referrer.refer()
    (item,) = console.pull_all("referrals")
    console.post(f"/referrals/{item['id']}/delivered")
    referrer.sign_in(phrase)
    referrer.send_message("A message")
    for message in console.pull_all("messages"):
        console.post(f"/messages/{message['id']}/delivered")
    console.put(f"/referrals/{item['id']}/events/acknowledged", json={"on": TODAY})
    console.get("/openapi.yaml")
    console.get("/referrals", authorization="")
    assert not list(console.client._cookies)


def test_nothing_the_api_does_logs_a_token_an_address_or_a_body(
    referral: dict[str, Any], console: Console, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    marker = "MARKER-" + secrets.token_hex(8)
    console.put(f"/referrals/{referral['id']}/events/closed",
                json={"on": TODAY, "reason": marker})
    console.put(f"/referrals/{referral['id']}/events/closed", data=marker,
                content_type="application/json")
    console.get("/referrals", token=f"sr1.{'a' * 22}.{'b' * 43}")

    def broken(*args: object) -> None:
        raise RuntimeError(marker)

    monkeypatch.setattr(outgoing, "confirm_referral", broken)
    console.post(f"/referrals/{referral['id']}/delivered")
    logged = caplog.text
    token_id, secret = console.token.split(".")[1:]
    for secret_thing in (marker, token_id, secret, "127.0.0.1", "b" * 43):
        assert secret_thing not in logged


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    target=st.sampled_from(
        ["events/acknowledged", "events/closed", "events/contact_made", "events/nope",
         "replies/" + "r" * 22, "replies/bad"]
    ),
    body=BODIES,
    raw=st.none() | st.binary(max_size=64),
)
def test_arbitrary_json_at_the_put_endpoints_never_causes_a_500(
    app: Flask, referral: dict[str, Any], console: Console, target: str, body: object,
    raw: bytes | None,
) -> None:
    url = f"/referrals/{referral['id']}/{target}"
    if raw is None:
        response = console.put(url, data=json.dumps(body), content_type="application/json")
    else:
        response = console.put(url, data=raw, content_type="application/json")
    # Console.call has validated the body against the document for this status.
    assert response.status_code < 500, response.get_json()


def _api_on_a_silent_database(silent: SilentDatabase, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setenv("DATABASE_URL", silent.url())
    monkeypatch.setenv("DATABASE_CONNECT_TIMEOUT_SECONDS", "2")  # psycopg's smallest
    return create_intake_app({"TESTING": True, "RATELIMIT_ENABLED": False})


def _assert_retry_later(response: TestResponse) -> None:
    openapi_check.check("GET", "/api/v1/referrals", response)
    assert response.status_code == 503 and response.get_json()["error"] == "unavailable"
    assert response.headers["Retry-After"] == "30"


def test_the_api_is_a_json_503_with_retry_after_when_the_database_never_answers(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    with SilentDatabase() as silent:
        app = _api_on_a_silent_database(silent, monkeypatch)
        started = time.monotonic()
        # The token check is the first thing that needs the database.
        response = app.test_client().get(
            "/api/v1/referrals", headers={"Authorization": f"Bearer sr1.{'a' * 22}.{'b' * 43}"}
        )
        assert time.monotonic() - started < 6
        assert silent.accepted
    _assert_retry_later(response)
    # The app installs its own log handler on stderr (app/web/privacy_logging.py).
    logged = capfd.readouterr().err
    assert "database unavailable (OperationalError); answered 503" in logged
    assert str(silent.port) not in logged  # the type only, never the host and port


def test_a_raw_driver_error_from_a_pooled_connection_is_a_503_too(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """Code that uses a pooled connection directly gets the driver's own error, unwrapped."""

    def check_on_a_raw_connection(presented: str) -> None:
        intake_db.engine.raw_connection()  # psycopg's ConnectionTimeout, not SQLAlchemy's

    with SilentDatabase() as silent:
        app = _api_on_a_silent_database(silent, monkeypatch)
        monkeypatch.setattr(tokens, "verify", check_on_a_raw_connection)
        response = app.test_client().get(
            "/api/v1/referrals", headers={"Authorization": f"Bearer sr1.{'a' * 22}.{'b' * 43}"}
        )
    _assert_retry_later(response)
    assert "database unavailable (ConnectionTimeout); answered 503" in capfd.readouterr().err
