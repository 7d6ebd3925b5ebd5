"""Envelope format v2: the referrer's reply key and auth key travel INSIDE the sealed part."""

import json
import secrets
from pathlib import Path

import pytest

from crypto import (
    FORMAT_VERSION,
    REFERRAL_FORMAT_VERSION,
    CryptoError,
    DecryptionError,
    PrivateKey,
    ReferrerBinding,
    derive_referrer_secrets,
    envelope_version,
    keyring,
    open_envelope,
    open_record,
    seal_record,
)
from crypto.envelope import field_aad, hpke_info, parse_envelope
from crypto.keyfile import TEST_PARAMS

FIELDS = {"first_name": "Sam", "account": "He reads my messages. Zoë 💬", "access_needs": ""}
V1 = json.loads((Path(__file__).parent / "vectors" / "envelope-v1.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def binding() -> ReferrerBinding:
    return ReferrerBinding(PrivateKey.generate().public_key, secrets.token_bytes(32))


@pytest.fixture(scope="module")
def blob(recipient: PrivateKey, binding: ReferrerBinding) -> bytes:
    return seal_record("referral", "r-1", FIELDS, recipient.public_key, referrer=binding)


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def test_a_referral_with_a_binding_is_sealed_as_version_2(blob: bytes) -> None:
    assert blob[:4] == b"SRE\x02"
    assert envelope_version(blob) == REFERRAL_FORMAT_VERSION == 2


def test_a_v2_referral_opens_to_its_fields_and_binding(
    blob: bytes, recipient: PrivateKey, binding: ReferrerBinding
) -> None:
    opened = open_envelope("referral", "r-1", blob, recipient)
    assert opened.version == 2
    assert opened.fields == FIELDS
    assert opened.referrer == binding
    assert opened.referrer is not None
    assert opened.referrer.public_key == binding.public_key
    assert opened.referrer.auth_key == binding.auth_key


def test_open_record_still_returns_just_the_fields_of_a_v2_envelope(
    blob: bytes, recipient: PrivateKey
) -> None:
    assert open_record("referral", "r-1", blob, recipient) == FIELDS


def test_a_record_without_a_binding_is_still_sealed_as_version_1(recipient: PrivateKey) -> None:
    blob = seal_record("message", "m-1", {"body": "hi"}, recipient.public_key)
    assert blob[3] == FORMAT_VERSION == 1
    opened = open_envelope("message", "m-1", blob, recipient)
    assert (opened.version, opened.fields, opened.referrer) == (1, {"body": "hi"}, None)


@pytest.mark.parametrize("vector", V1["envelopes"], ids=lambda v: v["kind"])
def test_a_v1_envelope_still_opens(vector: dict) -> None:
    key = PrivateKey.from_bytes(bytes.fromhex(V1["recipient"]["private_key_hex"]))
    opened = open_envelope(
        vector["kind"], vector["record_id"], bytes.fromhex(vector["blob_hex"]), key
    )
    assert opened.version == 1
    assert opened.fields == vector["fields"]
    assert opened.referrer is None


def test_the_binding_is_not_visible_in_the_blob(blob: bytes, binding: ReferrerBinding) -> None:
    # Nothing a database reader could use to link the referral to the referrer's key.
    assert binding.public_key.to_bytes()[:32] not in blob
    assert binding.public_key.key_id_bytes not in blob
    assert binding.auth_key not in blob


def test_the_sealed_part_of_a_v2_envelope_is_2416_bytes(blob: bytes) -> None:
    # 1120 (enc) + 32 (data key) + 1216 (reply key) + 32 (auth key) + 16 (tag)
    assert len(parse_envelope(blob).sealed_key) == 2416


def test_a_v2_envelope_relabelled_as_v1_does_not_open(blob: bytes, recipient: PrivateKey) -> None:
    # Downgrade: a v1 reader would ignore the binding; the version is in info and every AAD.
    downgraded = blob[:3] + b"\x01" + blob[4:]
    with pytest.raises(DecryptionError):
        open_envelope("referral", "r-1", downgraded, recipient)


def test_a_v1_envelope_relabelled_as_v2_does_not_open(recipient: PrivateKey) -> None:
    blob = seal_record("referral", "r-1", FIELDS, recipient.public_key)
    upgraded = blob[:3] + b"\x02" + blob[4:]
    with pytest.raises(DecryptionError):
        open_envelope("referral", "r-1", upgraded, recipient)


def test_an_unknown_version_is_refused(blob: bytes, recipient: PrivateKey) -> None:
    with pytest.raises(DecryptionError):
        open_envelope("referral", "r-1", blob[:3] + b"\x03" + blob[4:], recipient)
    with pytest.raises(DecryptionError):
        envelope_version(blob[:3] + b"\x00" + blob[4:])


def test_the_version_is_part_of_the_info_and_every_field_aad(recipient: PrivateKey) -> None:
    key_id = recipient.public_key.key_id_bytes
    assert hpke_info("referral", "r-1", key_id, ["a"], 1) != hpke_info(
        "referral", "r-1", key_id, ["a"], 2
    )
    assert field_aad("referral", "r-1", "a", 1) != field_aad("referral", "r-1", "a", 2)


def test_a_v2_envelope_does_not_open_for_another_record_or_kind(
    blob: bytes, recipient: PrivateKey
) -> None:
    for kind, record_id in (("referral", "r-2"), ("message", "r-1")):
        with pytest.raises(DecryptionError):
            open_envelope(kind, record_id, blob, recipient)


def test_changing_any_byte_of_a_v2_envelope_fails(blob: bytes, recipient: PrivateKey) -> None:
    sealed_at = 24
    for index in (0, 3, 4, 19, 20, sealed_at, sealed_at + 1500, sealed_at + 2415, len(blob) - 1):
        with pytest.raises(DecryptionError):
            open_envelope("referral", "r-1", _flip(blob, index), recipient)


def test_a_v2_envelope_does_not_open_with_another_key(
    blob: bytes, stranger: PrivateKey, recipient: PrivateKey
) -> None:
    with pytest.raises(DecryptionError):
        open_envelope("referral", "r-1", blob, stranger)
    assert open_envelope("referral", "r-1", blob, keyring([stranger, recipient])).fields == FIELDS


def test_a_field_from_another_v2_envelope_cannot_be_moved_in(
    blob: bytes, recipient: PrivateKey, binding: ReferrerBinding
) -> None:
    other = seal_record(
        "referral", "r-1", {**FIELDS, "first_name": "Eve"}, recipient.public_key, referrer=binding
    )
    mine, theirs = parse_envelope(blob), parse_envelope(other)
    swapped = type(mine)(mine.version, mine.key_id, mine.sealed_key, theirs.fields).to_bytes()
    with pytest.raises(DecryptionError):
        open_envelope("referral", "r-1", swapped, recipient)


def test_the_binding_from_a_phrase_carries_its_reply_key_and_auth_key(
    recipient: PrivateKey,
) -> None:
    referrer = derive_referrer_secrets(
        "legal winner thank year wave sausage worth useful", b"p" * 16, TEST_PARAMS
    )
    blob = seal_record("referral", "r-9", FIELDS, recipient.public_key, referrer=referrer.binding)
    opened = open_envelope("referral", "r-9", blob, recipient)
    assert opened.referrer is not None
    assert opened.referrer.public_key == referrer.private_key.public_key
    assert opened.referrer.auth_key == referrer.auth_key


@pytest.mark.parametrize("auth_key", [b"", b"k" * 31, b"k" * 33])
def test_a_binding_needs_a_32_byte_auth_key(auth_key: bytes, recipient: PrivateKey) -> None:
    with pytest.raises(CryptoError):
        ReferrerBinding(recipient.public_key, auth_key)


def test_a_binding_needs_a_public_key_object(recipient: PrivateKey) -> None:
    with pytest.raises(CryptoError):
        ReferrerBinding(recipient.public_key.to_bytes(), b"k" * 32)  # type: ignore[arg-type]


def test_the_auth_key_never_shows_in_repr(binding: ReferrerBinding) -> None:
    assert binding.auth_key.hex()[:16] not in repr(binding)
    assert binding.public_key.key_id in repr(binding)
