import base64
import pickle
import re

import pytest

from crypto import CryptoError, DecryptionError, PrivateKey, PublicKey, open_sealed, seal
from crypto.keys import PRIVATE_KEY_SIZE, PUBLIC_KEY_SIZE


def test_a_private_key_round_trips_through_its_96_bytes(recipient):
    raw = recipient.to_bytes()
    assert len(raw) == PRIVATE_KEY_SIZE == 96
    again = PrivateKey.from_bytes(raw)
    assert again == recipient
    assert again.to_bytes() == raw
    assert again.public_key == recipient.public_key


def test_from_seed_is_deterministic_and_equals_from_bytes():
    seed = bytes(range(96))
    assert PrivateKey.from_seed(seed) == PrivateKey.from_seed(seed) == PrivateKey.from_bytes(seed)
    assert PrivateKey.from_seed(seed).public_key != PrivateKey.from_seed(bytes(96)).public_key


def test_generated_keys_differ():
    assert PrivateKey.generate().public_key != PrivateKey.generate().public_key


@pytest.mark.parametrize("size", [0, 32, 95, 97])
def test_a_private_key_of_the_wrong_size_is_refused(size):
    with pytest.raises(CryptoError):
        PrivateKey.from_bytes(bytes(size))


@pytest.mark.parametrize("not_bytes", [96, "00" * 96, None])
def test_key_material_must_be_bytes_not_a_number_or_text(not_bytes):
    for make in (PrivateKey.from_bytes, PrivateKey.from_seed, PublicKey.from_bytes):
        with pytest.raises(CryptoError):
            make(not_bytes)


def test_a_private_keys_repr_and_str_never_contain_its_bytes(recipient):
    raw = recipient.to_bytes()
    shown = repr(recipient) + str(recipient) + f"{recipient}" + repr([recipient])
    for secret in (raw, raw[:64], raw[64:]):
        for encoded in (secret.hex(), secret.hex().upper(), base64.b64encode(secret).decode()):
            assert encoded[:16] not in shown
        assert repr(secret)[2:20] not in shown
    assert recipient.key_id in shown


def test_a_private_key_cannot_be_pickled(recipient):
    with pytest.raises(TypeError):
        pickle.dumps(recipient)


def test_a_public_key_round_trips_through_bytes_and_text(recipient):
    public = recipient.public_key
    assert len(public.to_bytes()) == PUBLIC_KEY_SIZE == 1184 + 32
    assert PublicKey.from_bytes(public.to_bytes()) == public
    assert PublicKey.from_text(public.to_text()) == public


def test_public_key_text_is_armoured_with_64_character_lines(recipient):
    lines = recipient.public_key.to_text().splitlines()
    assert lines[0] == "-----BEGIN SAFE REFERRAL PUBLIC KEY-----"
    assert lines[-1] == "-----END SAFE REFERRAL PUBLIC KEY-----"
    assert all(len(line) == 64 for line in lines[1:-2]) and 0 < len(lines[-2]) <= 64


def test_public_key_text_tolerates_crlf_and_surrounding_whitespace(recipient):
    text = "\r\n  " + recipient.public_key.to_text().replace("\n", "\r\n") + "\n\n"
    assert PublicKey.from_text(text) == recipient.public_key


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not a key",
        "-----BEGIN SAFE REFERRAL PUBLIC KEY-----\nAAAA\n-----END SAFE REFERRAL PUBLIC KEY-----\n",
        "-----BEGIN SAFE REFERRAL PUBLIC KEY-----\n!!!!\n-----END SAFE REFERRAL PUBLIC KEY-----\n",
    ],
)
def test_bad_public_key_text_is_refused(text):
    with pytest.raises(CryptoError):
        PublicKey.from_text(text)


def test_an_encrypted_private_key_file_is_not_accepted_as_a_public_key(recipient):
    text = recipient.public_key.to_text().replace("PUBLIC KEY", "PRIVATE KEY")
    with pytest.raises(CryptoError, match="expected a SAFE REFERRAL PUBLIC KEY"):
        PublicKey.from_text(text)


@pytest.mark.parametrize("size", [0, 1184, 1215, 1217])
def test_a_public_key_of_the_wrong_length_is_refused(size):
    with pytest.raises(CryptoError):
        PublicKey.from_bytes(bytes(size))


def test_a_public_key_with_a_low_order_x25519_point_is_refused(recipient):
    raw = recipient.public_key.to_bytes()[:1184] + bytes(32)
    with pytest.raises(CryptoError):
        PublicKey.from_bytes(raw)


def test_a_public_key_with_an_invalid_ml_kem_part_is_refused(recipient):
    raw = b"\xff" * 1184 + recipient.public_key.to_bytes()[1184:]
    with pytest.raises(CryptoError):
        PublicKey.from_bytes(raw)


def test_the_key_id_is_32_hex_characters_and_the_fingerprint_8_groups_of_4(recipient):
    public = recipient.public_key
    assert re.fullmatch(r"[0-9a-f]{32}", public.key_id)
    assert re.fullmatch(r"[0-9A-F]{4}( [0-9A-F]{4}){7}", public.fingerprint)
    assert public.key_id != public.fingerprint.replace(" ", "").lower()
    assert public.key_id_bytes.hex() == public.key_id == recipient.key_id


def test_public_keys_compare_and_hash_by_bytes(recipient):
    copy = PublicKey.from_bytes(recipient.public_key.to_bytes())
    assert copy == recipient.public_key and hash(copy) == hash(recipient.public_key)
    assert len({copy, recipient.public_key}) == 1
    assert copy != recipient.public_key.to_bytes()


def test_seal_and_open_sealed_round_trip_and_bind_info(recipient, stranger):
    sealed = seal(recipient.public_key, b"data key", b"info")
    assert open_sealed(recipient, sealed, b"info") == b"data key"
    for key, info, blob in [
        (recipient, b"other", sealed),
        (stranger, b"info", sealed),
        (recipient, b"info", sealed[:-1]),
        (recipient, b"info", b""),
    ]:
        with pytest.raises(DecryptionError):
            open_sealed(key, blob, info)
