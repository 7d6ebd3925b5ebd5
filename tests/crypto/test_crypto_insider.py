"""The four attacks of a police-side insider who can WRITE intake's database, end to end.

Each test plays the insider against the crypto API exactly as the apps are meant to use it
(crypto/README.md), so a regression in any layer shows up as a successful attack here.
"""

import datetime as dt

import pytest

from crypto import (
    WITHDRAWAL,
    DecryptionError,
    KeySetError,
    PrivateKey,
    SigningKey,
    derive_referrer_secrets,
    open_envelope,
    prove,
    recipient_key_id,
    seal_record,
    sign_key_set,
    verify_key_set,
    verify_proof,
)
from crypto.keyfile import TEST_PARAMS

PHRASE = "legal winner thank year wave sausage worth useful"
PEPPER = b"instance pepper!"


@pytest.fixture(scope="module")
def provider() -> tuple[SigningKey, PrivateKey, bytes]:
    signer, recipient = SigningKey.generate(), PrivateKey.generate()
    blob = sign_key_set(
        signer,
        provider="P",
        sequence=1,
        issued=dt.date(2026, 12, 5),
        public_keys=[recipient.public_key],
    )
    return signer, recipient, blob


def test_1_an_insider_key_written_into_the_key_row_is_never_sealed_to(
    provider: tuple[SigningKey, PrivateKey, bytes],
) -> None:
    signer, _, _ = provider
    insider = PrivateKey.generate()
    row = sign_key_set(
        SigningKey.generate(),
        provider="P",
        sequence=2,
        issued=dt.date(2026, 12, 6),
        public_keys=[insider.public_key],
    )
    # Intake verifies against the fingerprint pinned in its configuration, not the database.
    with pytest.raises(KeySetError):
        verify_key_set(row, signer.verify_key.fingerprint)


def test_1b_the_console_notices_an_envelope_sealed_to_an_unlisted_key(
    provider: tuple[SigningKey, PrivateKey, bytes],
) -> None:
    signer, _, blob = provider
    key_set = verify_key_set(blob, signer.verify_key.fingerprint)
    sealed = seal_record("referral", "r-1", {}, PrivateKey.generate().public_key)
    assert recipient_key_id(sealed) not in key_set.key_ids


def test_2_replies_go_to_the_key_inside_the_envelope_not_a_replaced_column(
    provider: tuple[SigningKey, PrivateKey, bytes],
) -> None:
    signer, recipient, blob = provider
    referrer = derive_referrer_secrets(PHRASE, PEPPER, TEST_PARAMS)
    newest = verify_key_set(blob, signer.verify_key.fingerprint).newest
    sealed = seal_record("referral", "r-1", {"a": "x"}, newest, referrer=referrer.binding)
    clear_column = PrivateKey.generate().public_key  # what the insider wrote beside the blob
    opened = open_envelope("referral", "r-1", sealed, recipient)
    assert opened.referrer is not None
    assert opened.referrer.public_key == referrer.private_key.public_key != clear_column


def test_3_a_fake_provider_reply_inserted_by_the_insider_has_no_valid_proof(
    provider: tuple[SigningKey, PrivateKey, bytes],
) -> None:
    _, recipient, _ = provider
    referrer = derive_referrer_secrets(PHRASE, PEPPER, TEST_PARAMS)
    fake = seal_record(
        "message", "m-9", {"body": "Call this number"}, referrer.private_key.public_key
    )
    # The insider knows everything in the database (lookup id, public keys), not the auth key.
    guesses = [bytes.fromhex(referrer.lookup_id), recipient.public_key.key_id_bytes * 2, bytes(32)]
    for guess_key in guesses:
        proof = prove(
            guess_key,
            referral_id="r-1",
            direction="provider",
            kind="message",
            position=0,
            body=fake,
        )
        assert not verify_proof(
            referrer.auth_key,
            proof,
            referral_id="r-1",
            direction="provider",
            kind="message",
            position=0,
            body=fake,
        )


def test_4_a_withdrawal_replayed_from_another_referral_or_position_is_refused(
    provider: tuple[SigningKey, PrivateKey, bytes],
) -> None:
    referrer = derive_referrer_secrets(PHRASE, PEPPER, TEST_PARAMS)
    real = prove(
        referrer.auth_key,
        referral_id="r-1",
        direction="referrer",
        kind=WITHDRAWAL,
        position=4,
        body=b"",
    )
    for referral_id, position in (("r-2", 4), ("r-1", 5)):
        assert not verify_proof(
            referrer.auth_key,
            real,
            referral_id=referral_id,
            direction="referrer",
            kind=WITHDRAWAL,
            position=position,
            body=b"",
        )


def test_4b_a_v2_referral_cannot_be_downgraded_to_drop_its_binding(
    provider: tuple[SigningKey, PrivateKey, bytes],
) -> None:
    _, recipient, _ = provider
    referrer = derive_referrer_secrets(PHRASE, PEPPER, TEST_PARAMS)
    sealed = seal_record("referral", "r-1", {}, recipient.public_key, referrer=referrer.binding)
    with pytest.raises(DecryptionError):
        open_envelope("referral", "r-1", sealed[:3] + b"\x01" + sealed[4:], recipient)
