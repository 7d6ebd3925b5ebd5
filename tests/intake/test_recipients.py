"""Recipients: `flask recipients ...` registers provider public keys and routes services.

The intake refuses a referral it cannot seal to anybody, and says so, rather than storing
something no provider could ever open.
"""

from __future__ import annotations

import base64
import itertools
import re
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app.extensions import intake_db
from app.models.intake import Recipient, RecipientKey, Referral, ServiceRoute
from crypto.armor import armour
from crypto.envelope import open_record, recipient_key_id
from crypto.errors import DecryptionError
from crypto.keyfile import TEST_PARAMS, protect
from crypto.keys import PrivateKey
from crypto.signing import SigningKey
from tests.provider_signing import signed
from tests.referrer import FULL_ANSWERS, Referrer

SERVICES = ("idva", "isva", "not_sure")


def cli(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["recipients", *args])


SIGNER = SigningKey.generate()
_SEQUENCE = itertools.count(1)


class _EveryNamePinned(dict):
    """These tests are about registering and routing: every provider's signing key is pinned
    (tests/intake/test_pinned_keys.py is about the pins themselves)."""

    def get(self, name, default=None):
        return SIGNER.verify_key.fingerprint


@pytest.fixture(autouse=True)
def _pinned(app: Flask) -> None:
    app.config["PINNED_PROVIDER_KEYS"] = _EveryNamePinned(any=SIGNER.verify_key.fingerprint)


def key_file(tmp_path: Path, key: PrivateKey, name: str = "provider.pub") -> Path:
    """A signed key set file listing `key`, as `flask console export-key-set` writes it."""
    path = tmp_path / name
    path.write_text(armour("SIGNED KEY SET", signed(SIGNER, "Provider", [key.public_key],
                                                    next(_SEQUENCE))))
    return path


def register(app: Flask, tmp_path: Path, name: str, key: PrivateKey, *services: str) -> None:
    result = cli(app, "register", name, str(key_file(tmp_path, key, f"{key.key_id}.pub")))
    assert result.exit_code == 0, result.output
    for service in services:
        result = cli(app, "assign", service, name)
        assert result.exit_code == 0, result.output


def stored_referrals(app: Flask) -> list[Referral]:
    with app.app_context():
        referrals = intake_db.session.scalars(sa.select(Referral)).all()
        intake_db.session.expunge_all()
        return referrals


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return intake_db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- register -----------------------------------------------------------------------------------


def test_registering_a_provider_prints_its_key_id_and_the_fingerprint_to_check_by_phone(
    app, tmp_path
):
    key = PrivateKey.generate()
    result = cli(app, "register", "Advisor service A", str(key_file(tmp_path, key)))

    assert result.exit_code == 0, result.output
    assert f"new referrals go to key {key.public_key.key_id}" in result.output
    assert f"newest recipient key:  {key.public_key.fingerprint}" in result.output
    assert f"signing key (pinned):  {SIGNER.verify_key.fingerprint}" in result.output
    assert re.fullmatch(r"([0-9A-F]{4} ){7}[0-9A-F]{4}", key.public_key.fingerprint)
    assert key.public_key.fingerprint in result.output
    with app.app_context():
        stored = intake_db.session.scalars(sa.select(RecipientKey)).one()
        assert stored.recipient.name == "Advisor service A"
        assert stored.key_id == key.public_key.key_id
        assert stored.generation == 1
        assert stored.public_key == key.public_key.to_bytes()
        assert stored.fingerprint == key.public_key.fingerprint


def _not_a_public_key(tmp_path: Path, kind: str) -> Path:
    key = PrivateKey.generate()
    path = tmp_path / f"{kind}.txt"
    if kind == "plain text":
        path.write_text("hello, this is not a key\n")
    elif kind == "empty":
        path.write_text("")
    elif kind == "binary":
        path.write_bytes(b"\xff\xfe\x00\x01" * 64)
    elif kind == "private key":
        path.write_text(armour("PRIVATE KEY", key.to_bytes()))
    elif kind == "passphrase protected private key":
        path.write_text(protect(key.to_bytes(), "correct horse", TEST_PARAMS))
    elif kind == "truncated public key":
        path.write_text(armour("PUBLIC KEY", key.public_key.to_bytes()[:-1]))
    elif kind == "damaged base64":
        text = key.public_key.to_text().splitlines()
        text[1] = "!!!!" + text[1][4:]
        path.write_text("\n".join(text))
    elif kind == "bare base64":
        path.write_text(base64.b64encode(key.public_key.to_bytes()).decode())
    return path


@pytest.mark.parametrize(
    "kind",
    [
        "plain text",
        "empty",
        "binary",
        "private key",
        "passphrase protected private key",
        "truncated public key",
        "damaged base64",
        "bare base64",
    ],
)
def test_registering_refuses_a_file_that_is_not_a_public_key_with_a_clear_message(
    app, tmp_path, kind
):
    path = _not_a_public_key(tmp_path, kind)
    result = cli(app, "register", "Advisor service A", str(path))

    assert result.exit_code != 0
    assert f"{path} is not a Safe Referral signed key set file" in result.output
    assert "Traceback" not in result.output
    assert count(app, Recipient) == 0
    assert count(app, RecipientKey) == 0


def test_registering_a_missing_file_is_refused_plainly(app, tmp_path):
    result = cli(app, "register", "Advisor service A", str(tmp_path / "nowhere.pub"))
    assert result.exit_code != 0
    assert "does not exist" in result.output
    assert count(app, Recipient) == 0


def test_the_same_provider_or_the_same_key_cannot_be_registered_twice(app, tmp_path):
    key = PrivateKey.generate()
    register(app, tmp_path, "Advisor service A", key)

    again = cli(
        app, "register", "Advisor service A", str(key_file(tmp_path, PrivateKey.generate()))
    )
    assert again.exit_code != 0
    assert "already exists; use rotate-key" in again.output

    same_key = cli(app, "register", "Advisor service B", str(key_file(tmp_path, key)))
    assert same_key.exit_code != 0
    assert "A key in this set is registered to another recipient" in same_key.output
    assert count(app, RecipientKey) == 1


# --- rotate ---------------------------------------------------------------------------------------


def test_after_rotation_new_referrals_use_the_new_key_and_old_ones_still_open_with_the_old_key(
    app, client, tmp_path
):
    old_key, new_key = PrivateKey.generate(), PrivateKey.generate()
    register(app, tmp_path, "Advisor service A", old_key, *SERVICES)
    referrer = Referrer(client)
    referrer.refer()
    (before,) = stored_referrals(app)

    result = cli(app, "rotate", "Advisor service A", str(key_file(tmp_path, new_key, "new.pub")))

    assert result.exit_code == 0, result.output
    assert "is now number" in result.output
    assert new_key.public_key.key_id in result.output
    assert new_key.public_key.fingerprint in result.output
    Referrer(app.test_client()).refer()
    (after,) = [r for r in stored_referrals(app) if r.id != before.id]

    assert recipient_key_id(before.sealed) == old_key.public_key.key_id
    assert recipient_key_id(after.sealed) == new_key.public_key.key_id
    assert before.recipient_id == after.recipient_id
    assert open_record("referral", before.id, before.sealed, old_key)["name"] == "Sam"
    assert open_record("referral", after.id, after.sealed, new_key)["name"] == "Sam"
    with pytest.raises(DecryptionError):
        open_record("referral", after.id, after.sealed, old_key)
    with app.app_context():
        generations = intake_db.session.scalars(
            sa.select(RecipientKey.generation).order_by(RecipientKey.generation)
        ).all()
    assert generations == [1, 2]


def test_rotating_refuses_an_unknown_provider_and_a_file_that_is_not_a_key(app, tmp_path):
    register(app, tmp_path, "Advisor service A", PrivateKey.generate())

    unknown = cli(app, "rotate", "Nobody", str(key_file(tmp_path, PrivateKey.generate())))
    assert unknown.exit_code != 0
    assert "No recipient called 'Nobody'" in unknown.output

    not_a_key = _not_a_public_key(tmp_path, "private key")
    result = cli(app, "rotate", "Advisor service A", str(not_a_key))
    assert result.exit_code != 0
    assert "is not a Safe Referral signed key set file" in result.output
    assert count(app, RecipientKey) == 1


# --- assign and list ------------------------------------------------------------------------------


def test_assigning_routes_each_service_to_its_provider(app, client, tmp_path):
    domestic, sexual = PrivateKey.generate(), PrivateKey.generate()
    register(app, tmp_path, "Domestic abuse service", domestic)
    register(app, tmp_path, "Sexual violence service", sexual)

    result = cli(app, "assign", "idva", "Domestic abuse service")
    assert result.exit_code == 0
    assert "Referrals for idva now go to Domestic abuse service" in result.output
    for service in ("isva", "not_sure"):
        assert cli(app, "assign", service, "Sexual violence service").exit_code == 0

    Referrer(client).refer({**FULL_ANSWERS, "service": {"service": "idva"}})
    Referrer(app.test_client()).refer({**FULL_ANSWERS, "service": {"service": "isva"}})
    sealed_to = {r.service: recipient_key_id(r.sealed) for r in stored_referrals(app)}
    assert sealed_to == {"idva": domestic.key_id, "isva": sexual.key_id}

    # Moving a service moves its new referrals.
    assert cli(app, "assign", "idva", "Sexual violence service").exit_code == 0
    Referrer(app.test_client()).refer({**FULL_ANSWERS, "service": {"service": "idva"}})
    newest = [r for r in stored_referrals(app) if r.service == "idva"]
    assert sorted(recipient_key_id(r.sealed) for r in newest) == sorted(
        [domestic.key_id, sexual.key_id]
    )
    with app.app_context():
        assert intake_db.session.scalar(sa.select(sa.func.count()).select_from(ServiceRoute)) == 3


def test_assigning_refuses_an_unknown_service_or_provider(app, tmp_path):
    register(app, tmp_path, "Advisor service A", PrivateKey.generate())

    unknown_service = cli(app, "assign", "police", "Advisor service A")
    assert unknown_service.exit_code != 0
    assert "'police' is not one of 'idva', 'isva', 'not_sure'" in unknown_service.output

    unknown_provider = cli(app, "assign", "idva", "Nobody")
    assert unknown_provider.exit_code != 0
    assert "No recipient called 'Nobody'" in unknown_provider.output
    assert count(app, ServiceRoute) == 0


def test_listing_shows_each_provider_and_warns_about_services_nobody_receives(app, tmp_path):
    key = PrivateKey.generate()
    register(app, tmp_path, "Advisor service A", key, "idva")

    result = cli(app, "list")

    assert result.exit_code == 0
    assert "Advisor service A: services idva" in result.output
    assert f"newest key {key.key_id}, fingerprint {key.public_key.fingerprint}" in result.output
    assert key.public_key.fingerprint in result.output
    assert "Warning: no recipient for isva" in result.output
    assert "Warning: no recipient for not_sure" in result.output
    assert "Warning: no recipient for idva" not in result.output


def test_listing_with_nothing_registered_warns_about_every_service(app):
    result = cli(app, "list")
    assert result.exit_code == 0
    for service in SERVICES:
        assert f"Warning: no recipient for {service}; the intake refuses those referrals" in (
            result.output
        )


def test_listing_with_every_service_routed_gives_no_warning(app, tmp_path):
    register(app, tmp_path, "Advisor service A", PrivateKey.generate(), *SERVICES)
    result = cli(app, "list")
    assert "Warning" not in result.output
    assert "services idva, isva, not_sure" in result.output


# --- the intake with nobody to send to ------------------------------------------------------------


def test_with_no_provider_at_all_the_service_question_says_referrals_cannot_be_taken(app, client):
    person = Referrer(client)
    for service in SERVICES:
        response = person.answer("service", {"service": service})
        page = response.get_data(as_text=True)
        assert response.status_code == 200, service
        assert "There is a problem" in page
        assert "We cannot take referrals for this service at the moment" in page
    assert client.get("/referral/check").headers["Location"] == "/referral/service"
    assert count(app, Referral) == 0


def test_a_service_without_a_provider_is_refused_while_a_routed_one_is_taken(app, client, tmp_path):
    register(app, tmp_path, "Advisor service A", PrivateKey.generate(), "idva")
    person = Referrer(client)
    refused = person.answer("service", {"service": "isva"}).get_data(as_text=True)
    assert "We cannot take referrals for this service at the moment" in refused
    assert person.answer("service", {"service": "idva"}).status_code == 303


def test_if_the_route_disappears_before_sending_the_check_page_says_so_and_stores_nothing(
    app, client, tmp_path
):
    register(app, tmp_path, "Advisor service A", PrivateKey.generate(), *SERVICES)
    person = Referrer(client)
    person.fill_in()  # chose ISVA while it was open
    with app.app_context():
        intake_db.session.execute(sa.delete(ServiceRoute).where(ServiceRoute.service == "isva"))
        intake_db.session.commit()

    response = person.send()

    page = response.get_data(as_text=True)
    assert response.status_code in (200, 503)
    assert "We cannot take this referral at the moment" in page
    assert "Nothing was stored" in page
    assert 'href="/referral/change/service"' in page
    assert "Sam" in page  # the answers are still there
    assert "app-phrase__word" not in page
    assert count(app, Referral) == 0

    # Choosing a service that is still open lets the same person send.
    assert person.client.get("/referral/change/service").status_code == 303
    assert person.answer("service", {"service": "idva"}).headers["Location"] == "/referral/check"
    assert person.send().status_code == 303
    assert count(app, Referral) == 1


def test_a_service_closed_or_unpinned_is_said_when_the_offer_is_next_read(app, client, tmp_path):
    closed = "Some kinds of support cannot take new referrals here right now"
    register(app, tmp_path, "Advisor service A", PrivateKey.generate(), *SERVICES)
    assert closed not in client.get("/referral/service").get_data(as_text=True)
    with app.app_context():
        intake_db.session.execute(sa.delete(ServiceRoute).where(ServiceRoute.service == "isva"))
        intake_db.session.commit()
    assert closed in client.get("/referral/service").get_data(as_text=True)
    register(app, tmp_path, "Advisor service B", PrivateKey.generate(), "isva")
    assert closed not in client.get("/referral/service").get_data(as_text=True)
    app.config["PINNED_PROVIDER_KEYS"] = {}  # no signing key pinned: nothing verifies
    assert closed in client.get("/referral/service").get_data(as_text=True)


def test_what_the_form_offers_is_read_again_within_a_second(app, client, tmp_path):
    closed = "Some kinds of support cannot take new referrals here right now"
    app.config.pop("OPEN_SERVICES_RECHECK_SECONDS")  # production's default: one second
    register(app, tmp_path, "Advisor service A", PrivateKey.generate(), *SERVICES)
    assert closed not in client.get("/referral/service").get_data(as_text=True)
    with app.app_context():
        intake_db.session.execute(sa.delete(ServiceRoute).where(ServiceRoute.service == "isva"))
        intake_db.session.commit()
    time.sleep(1.05)
    assert closed in client.get("/referral/service").get_data(as_text=True)


def test_a_service_closed_a_moment_ago_is_still_refused_at_sending(app, client, tmp_path):
    app.config.pop("OPEN_SERVICES_RECHECK_SECONDS")  # production's default: one second
    register(app, tmp_path, "Advisor service A", PrivateKey.generate(), *SERVICES)
    person = Referrer(client)
    person.fill_in()  # chose ISVA while it was open; the form's offer is now kept
    with app.app_context():
        intake_db.session.execute(sa.delete(ServiceRoute).where(ServiceRoute.service == "isva"))
        intake_db.session.commit()
    # Within the second the service question may still say every service is open ...
    closed = "Some kinds of support cannot take new referrals here right now"
    assert closed not in client.get("/referral/service").get_data(as_text=True)
    # ... but the seal asks afresh.
    page = person.send().get_data(as_text=True)
    assert "We cannot take this referral at the moment" in page
    assert "Nothing was stored" in page
    assert count(app, Referral) == 0
