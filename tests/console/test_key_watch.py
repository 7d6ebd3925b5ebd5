"""The police side cannot redirect referrals to a key of its own (DESIGN G2, issue 8 item 1-2).

Each test acts as an insider who can write intake's database (SQL on the real database,
SQLite or PostgreSQL) but not its code or configuration: intake refuses to seal to a key the
pinned signing key did not vouch for, and the console notices at its next sync.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import date
from email import message_from_bytes

import pytest
import sqlalchemy as sa
from flask import Flask

from app.console import provider_keys
from app.console.alerts import KEY_ALARM_SUBJECT
from app.console.key_watch import KEY_ALARM
from app.extensions import console_db, intake_db
from app.models.base import random_id
from app.models.console import Advisor, AuditEntry, Case, KeyGrant
from app.models.intake import Recipient, RecipientKey, Referral
from app.questionnaire import journey
from crypto.custody import open_grant
from crypto.envelope import open_record, recipient_key_id, seal_record
from crypto.keys import PrivateKey
from crypto.signing import SigningKey
from tests.console.conftest import Staff, sign_in_as
from tests.console.test_alerts import Inbox, smtp  # noqa: F401
from tests.database_scan import markers_in_tables
from tests.provider_signing import signed
from tests.referrer import Referrer
from tests.two_apps import PROVIDER, Browser, Linked, linked_fixture  # noqa: F401

REFUSED = "We cannot take referrals right now"


def _sql(app: Flask, statement: str, **params: object) -> None:
    """What the insider does: plain SQL on intake's database, no application code."""
    with app.app_context(), intake_db.engine.begin() as conn:
        conn.execute(sa.text(statement), params)


def _referral_count(app: Flask) -> int:
    with app.app_context():
        return intake_db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) or 0


def _key_alarms(console: Flask) -> list[AuditEntry]:
    with console.app_context():
        entries = console_db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == KEY_ALARM)
        ).all()
        console_db.session.expunge_all()
        return list(entries)


@pytest.fixture
def referrer(linked: Linked) -> Iterator[Referrer]:
    yield Referrer(Browser(linked.intake_url))  # type: ignore[arg-type]


def test_an_insider_swapping_the_recipient_key_row_makes_intake_refuse_to_seal_and_store_nothing(
    linked: Linked, referrer: Referrer
) -> None:
    referrer.fill_in()
    insider = PrivateKey.generate()
    real = linked.keys.recipient.public_key
    _sql(linked.intake, "update recipient_keys set public_key = :key where key_id = :id",
         key=insider.public_key.to_bytes(), id=real.key_id)

    refused = referrer.send()

    assert refused.status_code == 503
    assert REFUSED in refused.get_data(as_text=True)
    assert _referral_count(linked.intake) == 0
    # The answers are still there (G9): once the row is put right, the same send works.
    _sql(linked.intake, "update recipient_keys set public_key = :key where key_id = :id",
         key=real.to_bytes(), id=real.key_id)
    assert referrer.send().status_code == 303
    assert _referral_count(linked.intake) == 1


def test_an_insider_swapping_in_their_own_signed_key_set_is_refused_and_the_console_stops(
    linked: Linked,
    referrer: Referrer,
    smtp: Inbox,  # noqa: F811
    make_advisor: Callable[..., Staff],
) -> None:
    waiting = linked.refer("sealed before the swap")
    referrer.fill_in()  # someone is half way through the form when the swap happens
    insider, insider_signer = PrivateKey.generate(), SigningKey.generate()
    with linked.intake.app_context():
        recipient_id = intake_db.session.scalars(sa.select(Recipient.id)).one()
    # Their own set, signed by their own key, and their key as the newest row.
    _sql(linked.intake, "update recipients set key_set = :blob where id = :id",
         blob=signed(insider_signer, PROVIDER, [insider.public_key], 99), id=recipient_id)
    _sql(linked.intake, "insert into recipient_keys (key_id, recipient_id, generation, public_key,"
         " fingerprint, added_on) values (:id, :r, 99, :key, :fp, :day)",
         id=insider.key_id, r=recipient_id, key=insider.public_key.to_bytes(),
         fp=insider.public_key.fingerprint, day=date.today())

    assert referrer.send().status_code == 503
    summary = linked.sync()

    assert summary.key_alarms and linked.counts() == (0, 0)  # stopped before pulling
    assert linked.intake_referral(waiting).status == "received"  # nothing confirmed
    # Its first sync offers intake the provider's set, which intake now refuses to take.
    assert [entry.detail for entry in _key_alarms(linked.console)] == [
        "intake refused this provider's new key set (key_set_refused)"
    ]
    (to, raw), = smtp.received
    email = message_from_bytes(raw)
    assert to == ["duty@provider.test"] and email["Subject"] == KEY_ALARM_SUBJECT
    assert waiting.lower() not in raw.decode().lower()
    page = sign_in_as(linked.console.test_client(), make_advisor()).get("/sync")
    assert "found a problem with the provider keys" in page.get_data(as_text=True)


def test_an_older_key_set_of_the_provider_put_back_by_sql_is_noticed_at_the_next_sync(
    linked: Linked, make_advisor: Callable[..., Staff]
) -> None:
    manager = make_advisor("manager@provider.test", role="manager")
    old_blob = linked.keys.key_set
    _rotate(linked, manager)
    assert not linked.sync().key_alarms  # the new set reaches intake through the sync
    with linked.intake.app_context():
        recipient_id = intake_db.session.scalars(sa.select(Recipient.id)).one()
    _sql(linked.intake, "update recipients set key_set = :blob where id = :id",
         blob=old_blob, id=recipient_id)

    summary = linked.sync()

    assert [entry.detail for entry in _key_alarms(linked.console)] == [
        "intake holds a key set other than this provider's newest one"
    ]
    assert summary.key_alarms


def test_a_referral_an_insider_sealed_to_their_own_key_is_never_stored_or_opened(
    linked: Linked,
) -> None:
    insider = PrivateKey.generate()
    genuine = linked.refer("a genuine referral")
    with linked.intake.app_context():
        recipient_id = intake_db.session.scalars(sa.select(Recipient.id)).one()
    planted = random_id()
    fields = journey.sealed_fields({"service": "idva", "account": "call 07700 900 666"})
    _sql(linked.intake, "insert into referrals (id, service, recipient_id, status, received_on,"
         " sealed, lookup_id) values (:id, 'idva', :r, 'received', :day, :sealed, :lookup)",
         id=planted, r=recipient_id, day=date.today(), lookup=random_id(),
         sealed=seal_record("referral", planted, fields, insider.public_key))

    summary = linked.sync()

    assert linked.case(genuine) is not None
    assert linked.case(planted) is None  # refused: never stored, so never opened
    assert linked.intake_referral(planted).status == "received"  # and never confirmed
    assert summary.key_alarms == ["1 referral(s) sealed to a key that is not this provider's"]
    assert len(_key_alarms(linked.console)) == 1


def _rotate(linked: Linked, manager: Staff) -> PrivateKey:
    """The manager rotates in the console; returns the new recipient private key."""
    with linked.console.app_context():
        advisor = console_db.session.get(Advisor, manager.id)
        assert advisor is not None
        old = linked.keys.recipient
        new = provider_keys.rotate(advisor, {old.key_id: old}, linked.keys.signing)
        console_db.session.commit()
        grant = console_db.session.scalars(
            sa.select(KeyGrant).where(
                KeyGrant.advisor_id == manager.id, KeyGrant.key_id == new.public.key_id
            )
        ).one()
        return open_grant(grant.sealed_key, manager.key, manager.id, new.public.key_id)


def test_a_key_rotation_end_to_end_old_cases_open_new_ones_go_to_the_new_key(
    linked: Linked, make_advisor: Callable[..., Staff]
) -> None:
    manager = make_advisor("manager@provider.test", role="manager")
    old = linked.keys.recipient
    before = linked.refer("before rotation")
    linked.sync()

    new = _rotate(linked, manager)
    assert not linked.sync().key_alarms  # pushed, verified against intake's pin, compared
    after = linked.refer("after rotation")
    assert not linked.sync().errors

    with linked.console.app_context():
        cases = {c.id: c.sealed for c in console_db.session.scalars(sa.select(Case))}
    assert recipient_key_id(cases[before]) == old.key_id
    assert recipient_key_id(cases[after]) == new.key_id
    assert open_record("referral", before, cases[before], old)["account"] == "before rotation"
    assert open_record("referral", after, cases[after], new)["account"] == "after rotation"
    with linked.intake.app_context():
        rows = intake_db.session.scalars(sa.select(RecipientKey.key_id)).all()
        assert set(rows) == {old.key_id, new.key_id}
        leaked = markers_in_tables(
            intake_db.engine, [old.to_bytes(), new.to_bytes(), linked.keys.signing.to_bytes()]
        )
    assert not any(leaked.values())  # intake never sees a private key


def test_intake_takes_a_rotation_only_if_it_verifies_and_rolls_forward(linked: Linked) -> None:
    """The API is an untrusted channel for key sets: forged, foreign or older sets bounce."""
    import urllib.request

    def put(blob: bytes) -> int:
        body = json.dumps({"key_set": base64.b64encode(blob).decode()}).encode()
        request = urllib.request.Request(
            f"{linked.intake_url}/api/v1/key-set", data=body, method="PUT",
            headers={"Content-Type": "application/json",
                     "Authorization": f"Bearer {linked.console.config['INTAKE_API_TOKEN']}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status
        except urllib.error.HTTPError as answer:
            return answer.code

    name = linked.console.config["PROVIDER_NAME"]
    newer = [PrivateKey.generate().public_key, linked.keys.recipient.public_key]
    assert put(signed(SigningKey.generate(), name, newer, 2)) == 422  # not the pinned signer
    assert put(linked.keys.key_set) == 200  # the same set again: nothing changes
    assert put(signed(linked.keys.signing, name, newer, 0)) == 422  # a rollback
    assert put(signed(linked.keys.signing, name, newer, 2)) == 200  # a genuine rotation
    with linked.intake.app_context():
        route_key = intake_db.session.scalars(
            sa.select(RecipientKey.public_key).order_by(RecipientKey.generation.desc())
        ).first()
    assert route_key == newer[0].to_bytes()
