"""Rate limits stop brute force of reference phrases, and never key on an IP address (G4, G10).

Limits count per session first (colleagues behind one address each have their own), with a
loose bound per address bucket and a global budget beside it (tests/intake/
test_fair_front_door.py proves the crowd and the hammering client).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterator

import pytest
from flask import Flask

from app import create_intake_app
from app.extensions import intake_db, limiter
from app.web.privacy_logging import anonymous_client_key
from tests.conftest import intake_settings
from tests.referrer import Referrer

WRONG_PHRASE = "abandon ability able about above absent absorb abstract"
ADDRESS = "203.0.113.7"
OTHER_ADDRESS = "198.51.100.23"


@pytest.fixture
def limited_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """The intake with rate limits on, over the database the `app` fixture set up."""
    limited = create_intake_app(
        {
            **intake_settings(database_url),
            "RATELIMIT_ENABLED": True,
            # A provider pinned by the `provider_key` fixture, when a test asks for it first.
            "PINNED_PROVIDER_KEYS": app.config.get("PINNED_PROVIDER_KEYS") or {},
        }
    )
    yield limited
    with limited.app_context():
        intake_db.session.remove()
        intake_db.engine.dispose()
    limiter.init_app(app)  # the limiter is shared: switch it off again for other tests


def person_at(app: Flask, address: str = ADDRESS) -> Referrer:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return Referrer(client)


def test_the_eleventh_reference_phrase_attempt_within_an_hour_gets_a_calm_page_saying_when(
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
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= 3600
    assert "Please wait before trying again" in page
    assert "You have tried too many times. Nothing you entered has been lost." in page
    minutes = (wait + 59) // 60
    assert f"try again in {minutes} minute" in page
    assert "<title>Please wait before trying again" in page
    assert 'href="/exit"' in page
    assert "no-store" in response.headers["Cache-Control"]
    assert "We could not find a referral" not in page  # the phrase was not even checked


def test_the_limit_stops_even_the_right_phrase_once_reached(provider_key, limited_app):
    phrase = person_at(limited_app, OTHER_ADDRESS).refer()
    person = person_at(limited_app)
    for _ in range(10):
        person.sign_in(WRONG_PHRASE)
    assert person.sign_in(phrase).status_code == 429
    # Someone else, even at the same address (a colleague in the same building), is not.
    assert person_at(limited_app).sign_in(phrase).status_code == 303


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
    for attempt in range(5):  # five sends an hour per session (LIMIT_SUBMIT)
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
        assert f"/{anonymous_client_key()}/" in keys


# --- the key itself ---------------------------------------------------------------------------


def key_for(app: Flask, address: str) -> str:
    with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
        return anonymous_client_key()


@pytest.mark.parametrize("address", [ADDRESS, "127.0.0.1", "2001:db8::1", "::ffff:192.0.2.1"])
def test_the_rate_limit_key_is_a_16_bit_bucket_that_does_not_contain_the_address(app, address):
    key = key_for(app, address)
    assert re.fullmatch(r"b[0-9a-f]{4}", key)  # 65,536 buckets, nothing more
    assert address not in key
    packed = ipaddress.ip_address(address).packed.hex()
    assert key[1:] != packed[:4]  # not simply the address's top 16 bits
    assert hashlib.sha256(address.encode()).hexdigest()[:4] != key[1:]  # not a plain hash


def test_the_rate_limit_key_is_stable_for_an_address_and_differs_between_addresses(app):
    assert key_for(app, ADDRESS) == key_for(app, ADDRESS)
    assert key_for(app, ADDRESS) != key_for(app, OTHER_ADDRESS)


def test_one_person_s_ipv6_addresses_share_a_bucket_because_they_hold_the_whole_slash_64(app):
    assert key_for(app, "2001:db8:1:2::1") == key_for(app, "2001:db8:1:2:ffff:ffff:ffff:ffff")


def test_an_ipv4_address_and_its_ipv6_mapped_form_share_a_bucket(app):
    assert key_for(app, "192.0.2.1") == key_for(app, "::ffff:192.0.2.1")


def test_the_rate_limit_key_depends_on_the_secret_key(app):
    before = key_for(app, ADDRESS)
    app.config["SECRET_KEY"] = "another-secret-key-of-at-least-32-characters"
    assert key_for(app, ADDRESS) != before


def test_the_limiter_uses_the_anonymous_key(limited_app):
    assert limiter._key_func is anonymous_client_key
