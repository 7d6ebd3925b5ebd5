"""Advisor custody: password-wrapped advisor keys, grants and the offline recovery copy."""

import base64
import dataclasses
import re

import pytest
from argon2 import PasswordHasher
from argon2.low_level import Type

import crypto
from crypto import (
    CryptoError,
    DecryptionError,
    PrivateKey,
    RecoveryKeyError,
    WrappedAdvisorKey,
    grant_recipient_key,
    new_advisor_key,
    new_recovery_key,
    open_grant,
    open_with_recovery,
    parse_recovery_key,
    rewrap_advisor_key,
    unwrap_advisor_key,
    wrap_for_recovery,
)
from crypto.custody import ADVISOR_KEY_BLOB_SIZE, derive_advisor_wrapping_key
from crypto.keyfile import DEFAULT_PARAMS, TEST_PARAMS, argon2id

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def advisor() -> tuple[PrivateKey, WrappedAdvisorKey]:
    return new_advisor_key(PASSWORD, "advisor-1", TEST_PARAMS)


def _flip(blob: bytes, index: int) -> bytes:
    return blob[:index] + bytes([blob[index] ^ 0x01]) + blob[index + 1 :]


# --- the advisor's own key ---------------------------------------------------------------


def test_an_advisor_key_round_trips_through_its_stored_bytes(advisor):
    private_key, wrapped = advisor
    stored = wrapped.to_bytes()
    assert len(stored) == ADVISOR_KEY_BLOB_SIZE
    loaded = WrappedAdvisorKey.from_bytes(stored)
    assert loaded == wrapped
    assert loaded.public_key == private_key.public_key.to_bytes()
    assert loaded.key_id == private_key.key_id
    assert unwrap_advisor_key(loaded, PASSWORD, "advisor-1") == private_key


def test_an_advisor_key_round_trips_at_the_default_parameters():
    private_key, wrapped = new_advisor_key(PASSWORD, "advisor-1")
    assert wrapped.params == DEFAULT_PARAMS
    loaded = WrappedAdvisorKey.from_bytes(wrapped.to_bytes())
    assert loaded.params == DEFAULT_PARAMS
    assert unwrap_advisor_key(loaded, PASSWORD, "advisor-1") == private_key


def test_parameters_below_the_minimum_are_refused_when_wrapping():
    weak = dataclasses.replace(TEST_PARAMS, minimum_enforced=True)
    with pytest.raises(CryptoError, match="OWASP"):
        new_advisor_key(PASSWORD, "advisor-1", weak)


def test_a_wrong_password_fails(advisor):
    _, wrapped = advisor
    with pytest.raises(DecryptionError):
        unwrap_advisor_key(wrapped, PASSWORD + "!", "advisor-1")
    with pytest.raises(DecryptionError):
        unwrap_advisor_key(wrapped, "", "advisor-1")


def test_the_wrapped_blob_for_another_advisor_id_fails(advisor):
    _, wrapped = advisor
    with pytest.raises(DecryptionError):
        unwrap_advisor_key(wrapped, PASSWORD, "advisor-2")


def test_changing_any_stored_byte_fails(advisor):
    _, wrapped = advisor
    stored = wrapped.to_bytes()
    # magic, version, each cost, salt, public key (ML-KEM and X25519 parts) and the wrapped key
    for index in (
        0,
        3,
        7,
        11,
        15,
        16,
        40,
        100,
        1240,
        stored.index(wrapped.wrapped),
        len(stored) - 1,
    ):
        tampered = _flip(stored, index)
        with pytest.raises(DecryptionError):
            unwrap_advisor_key(WrappedAdvisorKey.from_bytes(tampered), PASSWORD, "advisor-1")


def test_a_truncated_or_extended_blob_is_refused(advisor):
    _, wrapped = advisor
    stored = wrapped.to_bytes()
    for blob in (stored[:-1], stored + b"\x00", b"", b"SRA\x02" + stored[4:]):
        with pytest.raises(DecryptionError):
            WrappedAdvisorKey.from_bytes(blob)


def test_rewrap_keeps_the_same_public_key_and_the_old_password_stops_working(advisor):
    private_key, old = advisor
    new = rewrap_advisor_key(private_key, "advisor-1", "a brand new password", TEST_PARAMS)
    assert new.public_key == old.public_key
    assert new.salt != old.salt
    assert unwrap_advisor_key(new, "a brand new password", "advisor-1") == private_key
    with pytest.raises(DecryptionError):
        unwrap_advisor_key(new, PASSWORD, "advisor-1")


def test_the_repr_shows_the_key_id_and_not_the_key_material(advisor):
    private_key, wrapped = advisor
    assert private_key.key_id in repr(wrapped)
    assert wrapped.wrapped.hex()[:16] not in repr(wrapped)


# --- grants ------------------------------------------------------------------------------


def test_a_grant_opens_only_with_the_right_advisor_key_and_advisor_id(advisor, recipient, stranger):
    advisor_key, _ = advisor
    grant = grant_recipient_key(recipient, advisor_key.public_key, "advisor-1")
    opened = open_grant(grant, advisor_key, "advisor-1", recipient.key_id)
    assert opened == recipient
    with pytest.raises(DecryptionError):
        open_grant(grant, stranger, "advisor-1", recipient.key_id)
    with pytest.raises(DecryptionError):
        open_grant(grant, advisor_key, "advisor-2", recipient.key_id)
    with pytest.raises(DecryptionError):
        open_grant(_flip(grant, len(grant) - 1), advisor_key, "advisor-1", recipient.key_id)
    with pytest.raises(DecryptionError):
        open_grant(grant[:-1], advisor_key, "advisor-1", recipient.key_id)


def test_a_grant_for_one_recipient_key_id_cannot_be_passed_off_as_another(
    advisor, recipient, stranger
):
    advisor_key, _ = advisor
    grant = grant_recipient_key(recipient, advisor_key.public_key, "advisor-1")
    with pytest.raises(DecryptionError):
        open_grant(grant, advisor_key, "advisor-1", stranger.key_id)


def test_a_malformed_recipient_key_id_is_a_usage_error(advisor, recipient):
    advisor_key, _ = advisor
    grant = grant_recipient_key(recipient, advisor_key.public_key, "advisor-1")
    with pytest.raises(CryptoError):
        open_grant(grant, advisor_key, "advisor-1", recipient.key_id.upper())


# --- recovery ----------------------------------------------------------------------------


def test_a_recovery_key_is_256_random_bits_in_groups_of_four():
    text = new_recovery_key()
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){13}", text)
    assert len(parse_recovery_key(text)) == 32
    assert new_recovery_key() != text


def test_recovery_key_round_trip(recipient):
    text = new_recovery_key()
    blob = wrap_for_recovery(recipient, text)
    assert open_with_recovery(blob, text, recipient.key_id) == recipient
    # What a manager types back need not match the printed layout or case.
    retyped = " ".join(text.lower().split("-"))
    assert open_with_recovery(blob, f"  {retyped}\n", recipient.key_id) == recipient


def test_a_recovery_key_typo_is_detected_with_a_clear_message():
    text = new_recovery_key()
    # Replace one character with a different valid one: the checksum must catch it.
    swapped = "B" if text[5] != "B" else "C"
    typo = text[:5] + swapped + text[6:]
    with pytest.raises(RecoveryKeyError) as typo_error:
        parse_recovery_key(typo)
    assert str(typo_error.value) == (
        "This recovery key has a typo. Check each group against the copy that was kept offline"
    )
    with pytest.raises(RecoveryKeyError) as short_error:
        parse_recovery_key(text[:-1])
    assert str(short_error.value) == (
        "A recovery key is 56 letters and digits (14 groups of 4); this one has 55"
    )
    with pytest.raises(RecoveryKeyError) as digit_error:
        parse_recovery_key("0" + text[1:])
    assert str(digit_error.value) == (
        "'0' is not used in recovery keys, which contain only the letters A to Z "
        "and the digits 2 to 7. Did you mean the letter O?"
    )
    assert issubclass(RecoveryKeyError, ValueError)
    assert issubclass(RecoveryKeyError, crypto.CryptoError)


def test_a_wrong_recovery_key_fails(recipient, stranger):
    blob = wrap_for_recovery(recipient, new_recovery_key())
    with pytest.raises(DecryptionError):
        open_with_recovery(blob, new_recovery_key(), recipient.key_id)
    text = new_recovery_key()
    blob = wrap_for_recovery(recipient, text)
    with pytest.raises(DecryptionError):
        open_with_recovery(blob, text, stranger.key_id)
    with pytest.raises(DecryptionError):
        open_with_recovery(_flip(blob, 20), text, recipient.key_id)


# --- what is stored ----------------------------------------------------------------------


def test_the_wrapped_private_key_bytes_never_contain_the_raw_private_key_bytes(advisor, recipient):
    advisor_key, wrapped = advisor
    blobs = {
        "advisor key": (advisor_key, wrapped.to_bytes()),
        "grant": (recipient, grant_recipient_key(recipient, advisor_key.public_key, "advisor-1")),
        "recovery copy": (recipient, wrap_for_recovery(recipient, new_recovery_key())),
    }
    for name, (key, blob) in blobs.items():
        raw = key.to_bytes()
        # The whole key and each half (ML-KEM seed, X25519 key) must be absent.
        for part in (raw, raw[:64], raw[64:]):
            assert part not in blob, name


def test_the_password_derived_key_differs_from_a_password_hasher_hash_of_the_same_password():
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=32, type=Type.ID)
    salt = b"0123456789abcdef"
    login_hash = hasher.hash(PASSWORD, salt=salt)
    raw_login = base64.b64decode(login_hash.rsplit("$", 1)[1] + "==")
    # Sanity: without the context prefix, the derivation would reproduce the login hash exactly.
    assert argon2id(PASSWORD.encode(), salt, TEST_PARAMS) == raw_login
    kek = derive_advisor_wrapping_key(PASSWORD, salt, TEST_PARAMS)
    assert len(kek) == 32
    assert kek != raw_login
    assert (
        kek.hex() not in login_hash
        and base64.b64encode(kek).rstrip(b"=") not in login_hash.encode()
    )
