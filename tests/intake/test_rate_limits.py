"""Rate limits stop brute force of reference phrases, and never key on an IP address (G4)."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from flask import Flask

import app.privacy_logging as privacy_logging
from app import create_intake_app
from app.extensions import intake_db, limiter
from app.privacy_logging import anonymous_client_key
from tests.conftest import intake_settings
from tests.referrer import Referrer

WRONG_PHRASE = "abandon ability able about above absent absorb abstract"
ADDRESS = "203.0.113.7"
OTHER_ADDRESS = "198.51.100.23"


@pytest.fixture
def limited_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """The intake with rate limits on, over the database the `app` fixture set up."""
    limited = create_intake_app({**intake_settings(database_url), "RATELIMIT_ENABLED": True})
    yield limited
    with limited.app_context():
        intake_db.session.remove()
        intake_db.engine.dispose()
    limiter.init_app(app)  # the limiter is shared: switch it off again for other tests


def person_at(app: Flask, address: str = ADDRESS) -> Referrer:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return Referrer(client)


def test_the_eleventh_reference_phrase_attempt_within_a_minute_gets_a_plain_please_wait_page(
    limited_app,
):
    person = person_at(limited_app)
    for attempt in range(10):
        response = person.sign_in(WRONG_PHRASE)
        assert response.status_code == 200, attempt
        assert "We could not find a referral with that reference phrase" in response.get_data(
            as_text=True
        )

    response = person.sign_in(WRONG_PHRASE)

    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Please wait before trying again" in page
    assert "You have tried too many times. Wait a few minutes and try again." in page
    assert "<title>Please wait before trying again" in page
    assert 'href="/exit"' in page
    assert "no-store" in response.headers["Cache-Control"]
    assert "We could not find a referral" not in page  # the phrase was not even checked


def test_the_limit_stops_even_the_right_phrase_once_reached(limited_app, provider_key):
    phrase = person_at(limited_app, OTHER_ADDRESS).refer()
    person = person_at(limited_app)
    for _ in range(10):
        person.sign_in(WRONG_PHRASE)
    assert person.sign_in(phrase).status_code == 429
    # Someone else, at another address, is not held up by it.
    assert person_at(limited_app, OTHER_ADDRESS).sign_in(phrase).status_code == 303


def test_the_limit_counts_attempts_only_so_the_return_page_still_opens(limited_app):
    person = person_at(limited_app)
    for _ in range(11):
        person.sign_in(WRONG_PHRASE)
    assert person.client.get("/return").status_code == 200
    assert person.client.get("/").status_code == 200


def test_sending_referrals_is_limited_too(limited_app):
    person = person_at(limited_app)
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"',
        person.client.get("/return").get_data(as_text=True),
    )[1]
    for attempt in range(20):
        response = person.client.post("/referral/check", data={"csrf_token": token})
        assert response.status_code == 303, attempt  # nothing answered yet: sent back
    response = person.client.post("/referral/check", data={"csrf_token": token})
    assert response.status_code == 429
    assert "Please wait before trying again" in response.get_data(as_text=True)


def test_with_rate_limits_switched_off_in_tests_nothing_is_limited(app, client):
    # The fixture every other test uses: proves the limit above comes from switching it on.
    person = Referrer(client)
    for _ in range(12):
        assert person.sign_in(WRONG_PHRASE).status_code == 200


def test_the_limiter_remembers_no_address(limited_app):
    for address in (ADDRESS, OTHER_ADDRESS, "2001:db8::1"):
        for _ in range(3):
            person_at(limited_app, address).sign_in(WRONG_PHRASE)
    keys = " ".join(limiter.storage.storage)  # the in-memory store's counters
    assert keys
    for address in (ADDRESS, OTHER_ADDRESS, "2001:db8::1"):
        assert address not in keys
        assert ipaddress.ip_address(address).packed.hex() not in keys
    with limited_app.test_request_context(environ_base={"REMOTE_ADDR": ADDRESS}):
        assert anonymous_client_key() in keys


# --- the key itself ---------------------------------------------------------------------------


def key_for(app: Flask, address: str) -> str:
    with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
        return anonymous_client_key()


@pytest.mark.parametrize("address", [ADDRESS, "127.0.0.1", "2001:db8::1", "::ffff:192.0.2.1"])
def test_the_rate_limit_key_is_32_hex_characters_that_do_not_contain_the_address(app, address):
    key = key_for(app, address)
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert address not in key
    packed = ipaddress.ip_address(address).packed.hex()
    assert packed not in key
    assert hashlib.sha256(address.encode()).hexdigest()[:32] != key  # not a plain hash either


def test_the_rate_limit_key_is_stable_for_an_address_and_differs_between_addresses(app):
    assert key_for(app, ADDRESS) == key_for(app, ADDRESS)
    assert key_for(app, ADDRESS) != key_for(app, OTHER_ADDRESS)


def test_the_rate_limit_key_changes_every_day(app, monkeypatch):
    today = key_for(app, ADDRESS)

    class Tomorrow(date):
        @classmethod
        def today(cls) -> date:
            return date.today() + timedelta(days=1)

    monkeypatch.setattr(privacy_logging, "date", Tomorrow)
    assert key_for(app, ADDRESS) != today


def test_the_rate_limit_key_depends_on_the_secret_key(app):
    before = key_for(app, ADDRESS)
    app.config["SECRET_KEY"] = "another-secret-key-of-at-least-32-characters"
    assert key_for(app, ADDRESS) != before


def test_the_limiter_uses_the_anonymous_key(limited_app):
    assert limiter._key_func is anonymous_client_key
