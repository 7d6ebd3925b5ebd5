"""Every kind of caller of both deployments, signed in for real, and a real id for every URL.

`build_world` makes the police-side app (intake, delivery API, standards) and the provider
console on their own databases, and signs in, through the real pages and commands, each kind
of caller issue 9 names: an anonymous visitor, a referrer back with their phrase, an advisor
with the provider key granted, an advisor without it, a manager, a DPS analyst, and the
delivery-API tokens of recipient A (which every referral is routed to) and recipient B.

A caller presents everything it holds to whichever app it calls: its cookie under both apps'
cookie names and its bearer token, so a credential of one deployment is tried on the other.
`url_for_rule` fills every URL rule's arguments with a real id from this world (a case,
referral, message or key of recipient A), so a refusal is about who asks, not a missing row.
Test modules get the world with `world = world_fixture()`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from app import create_console_app
from app.accounts import totp
from app.api import tokens
from app.extensions import console_db
from app.models.console import RecipientKeyRecord
from crypto.keyfile import TEST_PARAMS
from crypto.keys import PrivateKey, PublicKey
from tests.api.conftest import seed_message, seed_referrals
from tests.console.accounts_support import (
    Person,
    act,
    advisor_row,
    create_provider_key,
    new_advisor,
    new_manager,
)
from tests.console.case_factory import make_case
from tests.console.conftest import console_settings
from tests.provider_signing import register_signed
from tests.referrer import Referrer
from tests.standards.conftest import CAPACITY, add_referrals, many, new_analyst

CALLERS = (
    "anonymous",
    "referrer",
    "advisor",
    "advisor_without_grant",
    "manager",
    "analyst",
    "token_a",
    "token_b",
)
RECIPIENT_A = "Test advisor service"  # tests/conftest.py's provider_key: every service goes here
RECIPIENT_B = "Other advisor service"
RELEASED_PERIOD = "2024-25-Q1"  # referrals received in it, so opening the dashboard releases it
UNKNOWN_TOKEN = "x" * 43  # the shape of a setup link's token, never issued


@dataclass
class Caller:
    name: str
    own: dict[str, FlaskClient]  # the clients this caller signed in with, by surface
    bearer: str | None = None
    renew: Callable[[], None] | None = None  # sign in again if a call ended the session

    def open(
        self, world: World, surface: str, method: str, url: str, **kwargs: object
    ) -> TestResponse:
        client = self.own.get(surface) or self._borrowed(world, surface)
        headers = dict(kwargs.pop("headers", None) or {})  # type: ignore[call-overload]
        if self.bearer:
            headers.setdefault("Authorization", f"Bearer {self.bearer}")
        return client.open(url, method=method, headers=headers, **kwargs)  # type: ignore[arg-type]

    def _borrowed(self, world: World, surface: str) -> FlaskClient:
        """A client of the other deployment carrying this caller's cookies under its names."""
        app = world.apps[surface]
        client = app.test_client()
        for own_client in self.own.values():
            for cookie in _cookies(own_client):
                for name in world.cookie_names:
                    client.set_cookie(name, cookie)
        return client


def _cookies(client: FlaskClient) -> list[str]:
    jar = client._cookies  # werkzeug keeps them here; there is no public iterator
    return [cookie.value for cookie in jar.values()]


@dataclass
class World:
    intake: Flask
    console: Flask
    callers: dict[str, Caller]
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def apps(self) -> dict[str, Flask]:
        return {"intake": self.intake, "console": self.console}

    @property
    def cookie_names(self) -> set[str]:
        return {app.config["SESSION_COOKIE_NAME"] for app in self.apps.values()}

    def url_for_rule(self, surface: str, rule: Rule) -> str:
        values = {name: self._value(surface, rule, name) for name in rule.arguments}
        adapter = self.apps[surface].url_map.bind("localhost")
        return adapter.build(rule.endpoint, values)

    def _value(self, surface: str, rule: Rule, name: str) -> str:
        special = {
            ("intake", "slug"): "service" if "change" not in rule.rule else "name",
            ("intake", "period"): "2025-26-Q1",
            ("console", "period"): RELEASED_PERIOD,
        }
        if rule.rule.startswith("/standards") and name == "slug":
            return RELEASED_PERIOD
        if (surface, name) in special:
            return special[(surface, name)]
        by_name = {
            "filename": "dist/application.css",
            "token": UNKNOWN_TOKEN,
            "event": "acknowledged",
            "action": "grant",
        }
        if name in by_name:
            return by_name[name]
        return self.ids[name]


class TotpClock:
    """The two-factor code clock, moved on by a step before each sign-in again, so a renewed
    sign-in has a fresh code (a code is never accepted twice) without the test waiting."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def next_step(self) -> None:
        self.offset += totp.STEP_SECONDS


def world_fixture() -> Callable[..., Iterator[World]]:
    @pytest.fixture
    def world(
        app: Flask,
        provider_key: PrivateKey,
        console_database_url: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> Iterator[World]:
        clock = TotpClock()
        monkeypatch.setattr(totp, "time", clock)
        console = create_console_app(console_settings(console_database_url))
        with console.app_context():
            console_db.drop_all()
            console_db.create_all()
        try:
            yield build_world(app, console, clock)
        finally:
            with console.app_context():
                console_db.session.remove()
                console_db.drop_all()
                console_db.engine.dispose()

    return world


def build_world(intake: Flask, console: Flask, clock: TotpClock) -> World:
    intake.config.update(ANALYST_ARGON2=TEST_PARAMS, FUNDED_CAPACITY=dict(CAPACITY))
    callers: dict[str, Caller] = {"anonymous": Caller("anonymous", {})}
    ids: dict[str, str] = {}

    # Police side: a referrer with a phrase, an analyst, two recipients' tokens.
    referrer = Referrer(intake.test_client())
    phrase = referrer.refer()

    def referrer_back() -> None:
        if referrer.client.get("/status").status_code != 200:
            with csrf_on(intake):
                back = referrer.sign_in(phrase)
            assert back.status_code == 303, back.get_data(as_text=True)[-2000:]

    referrer_back()
    callers["referrer"] = Caller("referrer", {"intake": referrer.client}, renew=referrer_back)

    add_referrals(intake, *many(12, received_on=date(2024, 4, 10)))
    analyst = new_analyst(intake)

    def analyst_back() -> None:
        if analyst.client.get("/standards/releases").status_code != 200:
            clock.next_step()
            with csrf_on(intake):
                assert analyst.sign_in().status_code == 303

    analyst_back()
    assert analyst.client.get("/standards/").status_code == 200  # releases what is due
    callers["analyst"] = Caller("analyst", {"intake": analyst.client}, renew=analyst_back)

    register_recipient(intake, RECIPIENT_B, PrivateKey.generate().public_key)
    with intake.app_context():
        token_a, token_b = tokens.issue(RECIPIENT_A), tokens.issue(RECIPIENT_B)
    callers["token_a"] = Caller("token_a", {}, bearer=token_a)
    callers["token_b"] = Caller("token_b", {}, bearer=token_b)
    (ids["referral_id"],) = seed_referrals(intake, 1)
    ids["message_id"] = seed_message(intake, ids["referral_id"])
    ids["reply_id"] = "matrix-reply-0001"

    # Provider side: a manager with the provider key, an advisor granted it, one not.
    manager = new_manager(console)
    _renewer(manager, clock)()
    create_provider_key(manager)
    advisor = new_advisor(manager, "advisor@provider.test")
    assert act(manager, "advisor@provider.test", "grant").status_code in (200, 303)
    no_grant = new_advisor(manager, "nogrant@provider.test")
    spare = new_advisor(manager, "spare@provider.test")
    for name, person in (
        ("manager", manager),
        ("advisor", advisor),
        ("advisor_without_grant", no_grant),
    ):
        callers[name] = Caller(name, {"console": person.client}, renew=_renewer(person, clock))
        _renewer(person, clock)()
    ids["advisor_id"] = advisor_row(console, spare.email).id
    with console.app_context():
        record = console_db.session.scalars(select(RecipientKeyRecord)).one()
        ids["key_id"] = record.key_id
        recipient = PublicKey.from_bytes(record.public_key)
    # A case from the intake form, so it has a referrer to reply to.
    ids["case_id"] = make_case(console, recipient, referrer=PrivateKey.generate())
    return World(intake, console, callers, ids)


def register_recipient(app: Flask, name: str, key: PublicKey) -> None:
    """A provider whose signing key is pinned in intake's configuration, with its key set."""
    with app.app_context():
        register_signed(name, key)


@contextmanager
def csrf_on(app: Flask) -> Iterator[None]:
    """The sign-in pages with their CSRF tokens, for signing in again during a walk that
    turned CSRF checking off."""
    was = app.config.get("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = was


def _renewer(person: Person, clock: TotpClock) -> Callable[[], None]:
    def renew() -> None:
        if person.client.get("/no-access").status_code == 200:
            return  # still signed in
        clock.next_step()
        with csrf_on(person.app):
            response = person.sign_in()
        assert response.status_code == 303, response.get_data(as_text=True)[:1000]

    return renew


# --- what a response says about access ----------------------------------------------------

SIGN_IN_PAGES = re.compile(r"^(?:https?://[^/]+)?/(?:sign-in|standards/sign-in|return)\b")


def verdict(response: TestResponse) -> str:
    """'allowed' (the guard let the request through: a page, a redirect onwards, or the
    handler's own answer to a bad body), 'refused' (401, 403, or sent to sign in) or 'hidden'
    (404: not there for this caller). A 5xx is 'error', never expected."""
    status = response.status_code
    if status >= 500:
        return "error"
    if status in (401, 403):
        return "refused"
    if status == 404:
        return "hidden"
    if status in (301, 302, 303, 307, 308) and SIGN_IN_PAGES.match(response.location or ""):
        return "refused"
    return "allowed"
