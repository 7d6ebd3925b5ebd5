"""Key custody on the console: creation, grants, revocation, rotation, recovery, and G2 at rest."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import date

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, session
from flask_login import login_user

from app.accounts import totp
from app.console import access
from app.console.accounts import STORE
from app.extensions import console_db
from app.models.console import Advisor, AuditEntry, Case, KeyGrant, RecipientKeyRecord
from crypto import aead
from crypto.custody import (
    RECOVERY_KEY_SIZE,
    WrappedAdvisorKey,
    _recovery_check,
    new_recovery_key,
    open_grant,
    open_with_recovery,
    unwrap_advisor_key,
)
from crypto.envelope import open_record, seal_record
from crypto.errors import CryptoError
from crypto.keys import PrivateKey, PublicKey
from tests.console.accounts_support import (
    RECOVERY_KEY,
    Person,
    act,
    advisor_row,
    cli,
    create_provider_key,
    invite,
    new_advisor,
    new_manager,
    read_session,
    setup_token,
)
from tests.console.conftest import PASSWORD

MARKER = "marker-text-only-an-advisor-may-read"


@pytest.fixture
def manager(console_app: Flask) -> Person:
    person = new_manager(console_app)
    person.sign_in()
    return person


def keyring_of(person: Person) -> dict[str, PrivateKey]:
    """access.keyring() exactly as a request from this person's browser computes it."""
    own = read_session(person)
    app = person.app
    with app.test_request_context():
        login_user(console_db.session.get(Advisor, advisor_row(app, person.email).id))
        session["advisor_key"] = own["advisor_key"]
        return access.keyring()


def newest_public(app: Flask) -> PublicKey:
    with app.app_context():
        record = console_db.session.scalars(
            sa.select(RecipientKeyRecord).order_by(RecipientKeyRecord.generation.desc())
        ).first()
        return PublicKey.from_bytes(record.public_key)


def add_case(app: Flask, case_id: str) -> bytes:
    sealed = seal_record("referral", case_id, {"account": MARKER}, newest_public(app))
    with app.app_context():
        console_db.session.add(
            Case(id=case_id, service="idva", received_on=date.today(), sealed=sealed)
        )
        console_db.session.commit()
    return sealed


def opens(sealed: bytes, case_id: str, keys: dict[str, PrivateKey] | PrivateKey) -> bool:
    try:
        return open_record("referral", case_id, sealed, keys)["account"] == MARKER
    except CryptoError:
        return False


def rotate(manager: Person) -> str:
    page = manager.post("/team/keys/rotate", {})
    assert page.status_code == 200, page.get_data(as_text=True)
    return RECOVERY_KEY.search(page.get_data(as_text=True)).group(1)


# --- creating the provider key -------------------------------------------------------------


def test_creating_the_key_shows_the_recovery_key_once_and_grants_the_manager(
    manager: Person,
) -> None:
    recovery = create_provider_key(manager)
    app = manager.app
    with app.app_context():
        record = console_db.session.scalars(sa.select(RecipientKeyRecord)).one()
        grants = console_db.session.scalars(sa.select(KeyGrant)).all()
        assert record.generation == 1
        assert open_with_recovery(record.recovery_blob, recovery, record.key_id)
        assert [g.advisor_id for g in grants] == [advisor_row(app, manager.email).id]
        assert "key_created" in [e.action for e in console_db.session.query(AuditEntry)]
    assert recovery not in manager.client.get("/team").get_data(as_text=True)
    assert set(keyring_of(manager)) == {record.key_id}


def test_the_key_cannot_be_created_twice(manager: Person) -> None:
    create_provider_key(manager)
    again = manager.post("/team/keys", {}, form_url="/team")
    assert again.status_code == 303
    with manager.app.app_context():
        assert console_db.session.query(RecipientKeyRecord).count() == 1


def test_the_public_key_downloads_as_a_file_for_intake_with_its_fingerprint(
    manager: Person,
) -> None:
    page = manager.post("/team/keys", {}, form_url="/team").get_data(as_text=True)
    public = newest_public(manager.app)
    assert public.fingerprint in page
    assert "flask recipients register" in page
    download = manager.client.get(f"/team/keys/{public.key_id}/public-key")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert PublicKey.from_text(download.get_data(as_text=True)) == public


# --- G2: the console database at rest opens nothing ----------------------------------------


def _candidate_keys(secret_key: str) -> list[bytes]:
    """Every 32-byte key someone with the database and the config could plausibly derive."""
    raw = secret_key.encode()
    keys = [hashlib.sha256(raw).digest(), raw[:32].ljust(32, b"\0")]
    for info in (b"", b"safe-referral", b"session", b"advisor", b"recovery", b"grant"):
        keys.append(HKDF(hashes.SHA256(), 32, None, info).derive(raw))
    return keys


def _recovery_texts(keys: list[bytes]) -> list[str]:
    texts = []
    for key in keys:
        body = base64.b32encode(key[:RECOVERY_KEY_SIZE] + _recovery_check(key)).decode()
        texts.append("-".join(body[i : i + 4] for i in range(0, len(body), 4)))
    return texts


def _all_values(app: Flask) -> list[tuple[str, str, object]]:
    with app.app_context():
        values = []
        for table in console_db.metadata.sorted_tables:
            for row in console_db.session.execute(sa.select(table)).mappings():
                values.extend((table.name, column, value) for column, value in row.items())
        return values


def test_the_console_database_at_rest_opens_nothing_without_a_password_or_recovery_key(
    manager: Person,
) -> None:
    app = manager.app
    create_provider_key(manager)
    advisor = new_advisor(manager)
    act(manager, advisor.email, "grant")
    advisor.sign_in()  # sessions exist too, holding unwrapped advisor keys under cookie keys
    sealed_case = add_case(app, "case-at-rest")
    recipient = next(iter(keyring_of(advisor).values()))
    advisor_key = bytes.fromhex(read_session(advisor)["advisor_key"])

    secrets_never_stored = [recipient.to_bytes(), advisor_key]
    values = _all_values(app)
    assert any(table == "console_sessions" for table, _, _ in values)
    for table, column, value in values:
        text = value if isinstance(value, bytes) else str(value).encode()
        for secret in secrets_never_stored:
            for form in (secret, secret.hex().encode(), base64.b64encode(secret)):
                assert form not in text, (table, column)
        assert MARKER.encode() not in text and PASSWORD.encode() not in text

    keys = _candidate_keys(app.config["SECRET_KEY"])
    guesses = [PrivateKey.from_seed(hashlib.sha512(k).digest()[:64] + k) for k in keys]
    blobs = [(t, c, v) for t, c, v in values if isinstance(v, bytes)]
    opened = []
    for table, column, blob in blobs:
        for key in keys:
            for aad in (b"", app.config["SECRET_KEY"].encode()):
                for body in (blob, blob[4:]):
                    try:
                        aead.unwrap(body, key, aad)
                        opened.append((table, column))
                    except CryptoError:
                        pass
    assert opened == []
    with app.app_context():
        for row in console_db.session.scalars(sa.select(RecipientKeyRecord)):
            for text in _recovery_texts(keys):
                with pytest.raises(CryptoError):
                    open_with_recovery(row.recovery_blob, text, row.key_id)
        for person in console_db.session.scalars(sa.select(Advisor)):
            wrapped = WrappedAdvisorKey.from_bytes(person.wrapped_key)
            for guess in ("", person.email, person.name, app.config["SECRET_KEY"]):
                with pytest.raises(CryptoError):
                    unwrap_advisor_key(wrapped, guess, person.id)
            # SECRET_KEY opens TOTP secrets, by design, and they hold no key material.
            secret = totp.open_secret(
                person.totp_secret, app.config["SECRET_KEY"], person.id, STORE.totp_label
            )
            assert re.fullmatch(r"[A-Z2-7]{32}", secret)
        for grant in console_db.session.scalars(sa.select(KeyGrant)):
            for guess in guesses:
                with pytest.raises(CryptoError):
                    open_grant(grant.sealed_key, guess, grant.advisor_id, grant.key_id)
    assert not any(opens(sealed_case, "case-at-rest", guess) for guess in guesses)
    # The control: the advisor's password does open it all, so the checks above could fail.
    with app.app_context():
        row = console_db.session.scalars(sa.select(Advisor).filter_by(email=advisor.email)).one()
        own = unwrap_advisor_key(WrappedAdvisorKey.from_bytes(row.wrapped_key), PASSWORD, row.id)
        grant = row.grants[0]
        assert opens(
            sealed_case,
            "case-at-rest",
            {grant.key_id: open_grant(grant.sealed_key, own, row.id, grant.key_id)},
        )


# --- grants and revocation -----------------------------------------------------------------


def test_a_granted_advisor_opens_cases_and_a_revoked_one_loses_access_at_once(
    manager: Person,
) -> None:
    create_provider_key(manager)
    advisor = new_advisor(manager)
    act(manager, advisor.email, "grant")
    advisor.sign_in()
    sealed = add_case(manager.app, "before")
    copied = keyring_of(advisor)  # suppose they kept a copy of the key while they had it
    assert opens(sealed, "before", copied)
    assert advisor.client.get("/").status_code == 200

    assert act(manager, advisor.email, "revoke").status_code == 303
    assert keyring_of(advisor) == {}
    assert advisor.client.get("/").status_code == 403  # still signed in, no longer allowed
    rotate(manager)
    after = add_case(manager.app, "after")
    assert not opens(after, "after", copied)
    assert not opens(after, "after", keyring_of(advisor))
    with manager.app.app_context():
        actions = [e.action for e in console_db.session.query(AuditEntry)]
    assert {"grant", "revoke", "key_rotated"} <= set(actions)


def test_deactivating_an_account_signs_it_out_and_removes_its_grants(manager: Person) -> None:
    create_provider_key(manager)
    advisor = new_advisor(manager)
    act(manager, advisor.email, "grant")
    advisor.sign_in()
    act(manager, advisor.email, "deactivate")
    response = advisor.client.get("/")
    assert response.status_code == 302 and "/sign-in" in response.location
    with manager.app.app_context():
        assert (
            console_db.session.query(KeyGrant)
            .filter_by(advisor_id=advisor_row(manager.app, advisor.email).id)
            .count()
            == 0
        )


def test_granting_to_an_account_still_being_set_up_is_refused(manager: Person) -> None:
    create_provider_key(manager)
    invite(manager, "pending@provider.test")
    page = act(manager, "pending@provider.test", "grant")
    assert page.status_code == 303
    assert "not finished setting up" in manager.client.get("/team").get_data(as_text=True)
    with manager.app.app_context():
        assert console_db.session.query(KeyGrant).count() == 1  # the manager's own


# --- rotation ------------------------------------------------------------------------------


def test_after_rotation_old_and_new_cases_both_open_for_a_granted_advisor(
    manager: Person,
) -> None:
    create_provider_key(manager)
    advisor = new_advisor(manager)
    bystander = new_advisor(manager, "never-granted@provider.test")
    act(manager, advisor.email, "grant")
    old = add_case(manager.app, "old")
    rotate(manager)
    new = add_case(manager.app, "new")
    advisor.sign_in()
    ring = keyring_of(advisor)
    assert len(ring) == 2
    assert opens(old, "old", ring) and opens(new, "new", ring)
    with manager.app.app_context():
        generations = [r.generation for r in console_db.session.query(RecipientKeyRecord)]
        assert sorted(generations) == [1, 2]
        assert (
            not console_db.session.query(KeyGrant)
            .filter_by(advisor_id=advisor_row(manager.app, bystander.email).id)
            .count()
        )


def test_the_newest_recovery_key_opens_every_generation_the_manager_held(
    manager: Person,
) -> None:
    first = create_provider_key(manager)
    second = rotate(manager)
    assert first != second
    with manager.app.app_context():
        for record in console_db.session.query(RecipientKeyRecord):
            assert open_with_recovery(record.recovery_blob, second, record.key_id)
            with pytest.raises(CryptoError):
                open_with_recovery(record.recovery_blob, first, record.key_id)


def test_rotation_asks_for_confirmation_first(manager: Person) -> None:
    create_provider_key(manager)
    page = manager.client.get("/team/keys/rotate")
    assert page.status_code == 200 and "generation 2" in page.get_data(as_text=True)
    with manager.app.app_context():
        assert console_db.session.query(RecipientKeyRecord).count() == 1


# --- recovery when the manager is gone -----------------------------------------------------


def _successor(manager: Person) -> Person:
    result = cli(manager.app, "create-manager", "successor@provider.test", "Sam Successor")
    person = Person(manager.app, "successor@provider.test")
    person.set_up(setup_token(result.output))
    return person


def test_the_recovery_command_grants_the_keys_to_a_new_manager(manager: Person) -> None:
    recovery = create_provider_key(manager)
    sealed = add_case(manager.app, "kept")
    successor = _successor(manager)
    result = cli(manager.app, "recover-access", successor.email, "--recovery-key", recovery)
    assert result.exit_code == 0, result.output
    assert "generation(s) 1" in result.output
    successor.sign_in()
    assert opens(sealed, "kept", keyring_of(successor))
    with manager.app.app_context():
        assert "recovery" in [e.action for e in console_db.session.query(AuditEntry)]


def test_the_recovery_command_reads_the_key_from_a_hidden_prompt(manager: Person) -> None:
    recovery = create_provider_key(manager)
    successor = _successor(manager)
    result = cli(manager.app, "recover-access", successor.email, input=recovery + "\n")
    assert result.exit_code == 0, result.output
    assert recovery not in result.output


def test_a_wrong_recovery_key_fails_clearly_and_grants_nothing(manager: Person) -> None:
    create_provider_key(manager)
    successor = _successor(manager)
    result = cli(
        manager.app, "recover-access", successor.email, "--recovery-key", new_recovery_key()
    )
    assert result.exit_code != 0
    assert "does not open any provider key" in result.output
    typo = cli(manager.app, "recover-access", successor.email, "--recovery-key", "ABCD-0000")
    assert typo.exit_code != 0 and "recovery key" in typo.output.lower()
    with manager.app.app_context():
        assert (
            console_db.session.query(KeyGrant)
            .filter_by(advisor_id=advisor_row(manager.app, successor.email).id)
            .count()
            == 0
        )


def test_recovery_refuses_an_account_that_is_not_set_up(manager: Person) -> None:
    recovery = create_provider_key(manager)
    cli(manager.app, "create-manager", "half@provider.test", "Half Done")
    result = cli(manager.app, "recover-access", "half@provider.test", "--recovery-key", recovery)
    assert result.exit_code != 0 and "finish setting up" in result.output
    unknown = cli(manager.app, "recover-access", "nobody@provider.test", "--recovery-key", recovery)
    assert unknown.exit_code != 0 and "no account" in unknown.output
