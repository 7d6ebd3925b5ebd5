"""Delivery-API fixtures: a provider console talking to intake with its own client and token.

The console uses a test client of its own (a server never holds an intake cookie), and every
response it gets is checked against docs/openapi.yaml by tests/api/openapi_check.py.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.api import tokens
from app.extensions import intake_db
from app.intake import recipients, referrals
from app.models.base import random_id
from app.models.intake import Referral
from app.questionnaire import journey
from crypto.envelope import seal_record
from crypto.keys import PrivateKey
from tests.api import openapi_check
from tests.provider_signing import register_signed
from tests.referrer import Referrer
from tests.referrer_keys import binding_for, referrer_for

PROVIDER = "Test advisor service"
OTHER = "Other advisor service"


class Console:
    """The provider console's side of the API, holding one bearer token."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def call(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        data: bytes | str | None = None,
        content_type: str | None = None,
        token: str | None = None,
        authorization: str | None = None,
    ) -> TestResponse:
        headers = {}
        bearer = token or self.token
        if authorization is not None:
            headers["Authorization"] = authorization
        elif bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        if json is not None:
            data, content_type = jsonlib.dumps(json), content_type or "application/json"
        response = self.client.open(
            "/api/v1" + url, method=method, headers=headers, data=data, content_type=content_type
        )
        openapi_check.check(method, "/api/v1" + url, response)
        return response

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        return self.call("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> TestResponse:
        return self.call("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> TestResponse:
        return self.call("PUT", url, **kwargs)

    def pull_all(self, feed: str, limit: int = 100) -> list[dict[str, Any]]:
        """Every pending item of a feed, following `next` from the start."""
        items, after = [], ""
        while True:
            page = self.get(f"/{feed}?limit={limit}" + (f"&after={after}" if after else ""))
            assert page.status_code == 200, page.get_json()
            items += page.get_json()["items"]
            after = page.get_json()["next"]
            if after is None:
                return items


def issue_token(app: Flask, recipient: str) -> str:
    with app.app_context():
        return tokens.issue(recipient)


@pytest.fixture
def console(app: Flask, provider_key: PrivateKey) -> Console:
    return Console(app.test_client(), issue_token(app, PROVIDER))


@pytest.fixture
def other_key(app: Flask, provider_key: PrivateKey) -> PrivateKey:
    """A second provider; nothing is routed to it until a test says so."""
    key = PrivateKey.generate()
    with app.app_context():
        register_signed(OTHER, key.public_key)
    return key


@pytest.fixture
def other_console(app: Flask, other_key: PrivateKey) -> Console:
    return Console(app.test_client(), issue_token(app, OTHER))


@pytest.fixture
def route_to(app: Flask) -> Callable[[str], None]:
    def route(recipient: str) -> None:
        with app.app_context():
            for service in ("idva", "isva", "not_sure"):
                recipients.assign(service, recipient)

    return route


@pytest.fixture
def referral(referrer: Referrer, console: Console) -> dict[str, Any]:
    """One referral made through the intake pages, as the console first sees it."""
    phrase = referrer.refer()
    (item,) = console.pull_all("referrals")
    return {**item, "phrase": phrase}


def stored(app: Flask, referral_id: str) -> Referral:
    with app.app_context():
        row = intake_db.session.get(Referral, referral_id)
        assert row is not None
        intake_db.session.expunge(row)
        return row


def seed_referrals(app: Flask, count: int, service: str = "idva") -> list[str]:
    """Referrals sealed as the form seals them, to whoever serves `service` now; fast, since
    they skip the pages (and so Argon2id)."""
    ids = []
    with app.app_context():
        route = recipients.route_for(service)
        assert route is not None
        for _ in range(count):
            referral_id = random_id()
            fields = journey.sealed_fields({"service": service, "account": "seeded"})
            intake_db.session.add(Referral(
                id=referral_id, service=service, recipient_id=route.recipient_id,
                sealed=seal_record(
                        "referral", referral_id, fields, route.key,
                        referrer=binding_for(referral_id),
                    ),
                lookup_id=random_id(),
                referrer_public_key=binding_for(referral_id).public_key.to_bytes(),
            ))
            ids.append(referral_id)
        intake_db.session.commit()
    return ids


def seed_message(app: Flask, referral_id: str, body: str = "seeded") -> str:
    """A referrer's message, as the status page sends it; returns its id."""
    with app.app_context():
        referral = intake_db.session.get(Referral, referral_id)
        assert referral is not None
        referrals.send_message(referral, referrer_for(referral.id), body)
        return referral.messages[-1].id
