"""The provider signing key has the recipient key's custody: granted, revoked, recovered, and
it signs each rotation's key set with a higher sequence number (DESIGN G2, section 4)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask

from app.console import provider_keys as custody
from app.extensions import console_db
from app.models.console import Advisor, KeySetRecord, SigningKeyGrant
from crypto.custody import open_signing_grant
from crypto.key_set import verify_key_set
from tests.console.conftest import ProviderKeys, Staff


def _advisor(staff: Staff) -> Advisor:
    found = console_db.session.get(Advisor, staff.id)
    assert found is not None
    return found


def _signing_grants(advisor_id: str) -> list[SigningKeyGrant]:
    return list(console_db.session.scalars(
        sa.select(SigningKeyGrant).where(SigningKeyGrant.advisor_id == advisor_id)
    ))


def test_a_rotation_is_signed_as_the_next_key_set_listing_the_new_key_first(
    console_app: Flask, provider_keys: ProviderKeys, make_advisor: Callable[..., Staff]
) -> None:
    manager = make_advisor("manager@provider.test", role="manager")
    old = provider_keys.recipient
    with console_app.app_context():
        new = provider_keys_rotate(manager, provider_keys)
        newest = console_db.session.scalars(
            sa.select(KeySetRecord).order_by(KeySetRecord.sequence.desc())
        ).first()
        assert newest is not None and newest.sequence == 2 and newest.delivered_on is None
        key_set = verify_key_set(newest.blob, provider_keys.signing.verify_key.fingerprint)
        assert key_set.key_ids == (new.public.key_id, old.key_id)
        assert key_set.digest == newest.digest
        assert new.signing_fingerprint == provider_keys.signing.verify_key.fingerprint


def provider_keys_rotate(manager: Staff, keys: ProviderKeys) -> custody.NewKey:
    old = keys.recipient
    return custody.rotate(_advisor(manager), {old.key_id: old}, keys.signing)


def test_a_rotation_without_the_signing_key_is_refused(
    console_app: Flask, provider_keys: ProviderKeys, make_advisor: Callable[..., Staff]
) -> None:
    manager = make_advisor("manager@provider.test", role="manager")
    old = provider_keys.recipient
    with console_app.app_context(), pytest.raises(custody.CustodyError, match="signing"):
        custody.rotate(_advisor(manager), {old.key_id: old}, None)


def test_granting_seals_the_signing_key_to_the_advisor_and_revoking_removes_it(
    console_app: Flask, provider_keys: ProviderKeys, make_advisor: Callable[..., Staff]
) -> None:
    manager = make_advisor("manager@provider.test", role="manager")
    advisor = make_advisor("advisor@provider.test", grant=False)
    signing = provider_keys.signing
    with console_app.app_context():
        keyring = {provider_keys.recipient.key_id: provider_keys.recipient}
        custody.grant_access(_advisor(manager), _advisor(advisor), keyring, signing)
        console_db.session.commit()
        (grant,) = _signing_grants(advisor.id)
        opened = open_signing_grant(grant.sealed_key, advisor.key, advisor.id, grant.key_id)
        assert opened.to_bytes() == signing.to_bytes()

        custody.revoke_access(_advisor(advisor), manager.email)
        assert _signing_grants(advisor.id) == []


def test_the_newest_recovery_key_recovers_the_signing_key_too(
    console_app: Flask, provider_keys: ProviderKeys, make_advisor: Callable[..., Staff]
) -> None:
    manager = make_advisor("manager@provider.test", role="manager")
    advisor = make_advisor("advisor@provider.test", grant=False)
    with console_app.app_context():
        new = provider_keys_rotate(manager, provider_keys)
        console_db.session.commit()
        custody.recover_access(_advisor(advisor), new.recovery_key, "test")
        (grant,) = _signing_grants(advisor.id)
        opened = open_signing_grant(grant.sealed_key, advisor.key, advisor.id, grant.key_id)
        assert opened.to_bytes() == provider_keys.signing.to_bytes()
