"""Bearer tokens: who may call the delivery API, how tokens are kept, and the CLI."""

from __future__ import annotations

import hashlib
import re

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_intake_app
from app.extensions import intake_db
from app.models.intake import ApiToken
from crypto.keys import PrivateKey
from tests.api.conftest import OTHER, PROVIDER, Console, issue_token
from tests.conftest import intake_settings
from tests.provider_signing import register_signed

TOKEN_FORMAT = re.compile(r"sr1\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})")


def test_a_request_without_a_token_is_refused_with_401(console: Console) -> None:
    response = console.get("/referrals", authorization="")
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorised"


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer sr1.only-two-parts",
        "Bearer sr2.aaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        "Bearer sr1.aaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        "Bearer sr1.a/b.c",
    ],
)
def test_a_malformed_or_unknown_token_is_refused_with_401(
    console: Console, authorization: str
) -> None:
    response = console.get("/referrals", authorization=authorization)
    assert response.status_code == 401


def test_a_token_with_the_wrong_secret_is_refused_with_401(console: Console) -> None:
    token_id = TOKEN_FORMAT.fullmatch(console.token).group(1)
    forged = f"sr1.{token_id}.{'A' * 43}"
    assert console.get("/referrals", token=forged).status_code == 401
    assert console.get("/referrals").status_code == 200


def test_a_revoked_token_is_refused_with_401(app: Flask, console: Console) -> None:
    runner = app.test_cli_runner()
    token_id = TOKEN_FORMAT.fullmatch(console.token).group(1)
    assert console.get("/referrals").status_code == 200
    result = runner.invoke(args=["tokens", "revoke", token_id])
    assert result.exit_code == 0, result.output
    assert console.get("/referrals").status_code == 401


def test_the_scheme_name_is_case_insensitive(console: Console) -> None:
    assert console.get("/referrals", authorization=f"bearer {console.token}").status_code == 200


def test_tokens_are_stored_only_as_a_hash_of_their_secret(app: Flask, console: Console) -> None:
    token_id, secret = TOKEN_FORMAT.fullmatch(console.token).groups()
    with app.app_context():
        rows = [tuple(row) for row in intake_db.session.execute(select(ApiToken.__table__))]
    ((stored_id, _, secret_hash, _, revoked_on),) = rows
    assert stored_id == token_id and revoked_on is None
    assert secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(rows)


def test_flask_tokens_issue_prints_a_working_token_once(
    app: Flask, provider_key: PrivateKey
) -> None:
    result = app.test_cli_runner().invoke(args=["tokens", "issue", PROVIDER])
    assert result.exit_code == 0, result.output
    token = next(line for line in result.output.splitlines() if line.startswith("sr1."))
    assert TOKEN_FORMAT.fullmatch(token)
    assert Console(app.test_client(), token).get("/referrals").status_code == 200


def test_flask_tokens_issue_refuses_an_unknown_recipient(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["tokens", "issue", "Nobody"])
    assert result.exit_code != 0
    assert "No recipient called 'Nobody'" in result.output


def test_flask_tokens_list_shows_ids_recipients_and_dates_never_secrets(
    app: Flask, console: Console
) -> None:
    token_id, secret = TOKEN_FORMAT.fullmatch(console.token).groups()
    runner = app.test_cli_runner()
    runner.invoke(args=["tokens", "revoke", token_id])
    fresh = runner.invoke(args=["tokens", "issue", PROVIDER]).output
    listing = runner.invoke(args=["tokens", "list"]).output
    assert token_id in listing and PROVIDER in listing and "revoked" in listing
    assert "active" in listing
    assert secret not in listing
    assert TOKEN_FORMAT.search(fresh).group(2) not in listing


def test_flask_tokens_revoke_refuses_an_unknown_id(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["tokens", "revoke", "no-such-token"])
    assert result.exit_code != 0
    assert "No token" in result.output


def test_requests_are_rate_limited_per_token_with_a_json_429(
    app: Flask, database_url: str, provider_key: PrivateKey
) -> None:
    settings = {**intake_settings(database_url), "RATELIMIT_ENABLED": True,
                "API_RATE_LIMIT": "3 per minute"}
    limited = create_intake_app(settings)
    with limited.app_context():
        register_signed(OTHER, PrivateKey.generate().public_key)
    first = Console(limited.test_client(), issue_token(limited, PROVIDER))
    second = Console(limited.test_client(), issue_token(limited, OTHER))
    assert [first.get("/referrals").status_code for _ in range(3)] == [200] * 3
    refused = first.get("/referrals")
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "rate_limited"
    # Another token has its own allowance: the limit is per token, not per address.
    assert second.get("/referrals").status_code == 200
    with limited.app_context():
        intake_db.session.remove()
        intake_db.engine.dispose()
