"""Every way of altering an envelope must fail, and fail with the same error."""

import dataclasses

import pytest

from crypto import DecryptionError, open_record, seal_record
from crypto._encoding import u32
from crypto.aead import unwrap, wrap
from crypto.envelope import EnvelopeParts, field_aad, parse_envelope
from crypto.padding import pad

SMALL = {"a": "alpha", "b": "bravo"}


@pytest.fixture(scope="module")
def small_blob(recipient):
    return seal_record("message", "m-1", SMALL, recipient.public_key)


@pytest.mark.parametrize("mask", [0x01, 0x80])
def test_a_tampered_byte_anywhere_in_the_envelope_fails_to_open(recipient, small_blob, mask):
    assert open_record("message", "m-1", small_blob, recipient) == SMALL
    for position in range(len(small_blob)):
        tampered = bytearray(small_blob)
        tampered[position] ^= mask
        with pytest.raises(DecryptionError) as caught:
            open_record("message", "m-1", bytes(tampered), recipient)
        assert str(caught.value) == "the data could not be decrypted", position
        assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_truncated_envelope_fails_to_open_at_every_length(recipient, small_blob):
    for length in range(len(small_blob)):
        with pytest.raises(DecryptionError):
            open_record("message", "m-1", small_blob[:length], recipient)


def test_an_envelope_with_trailing_bytes_fails_to_open(recipient, small_blob):
    with pytest.raises(DecryptionError):
        open_record("message", "m-1", small_blob + b"\x00", recipient)


def test_swapping_two_fields_ciphertexts_fails_to_open(recipient, small_blob):
    parts = parse_envelope(small_blob)
    (name_a, body_a), (name_b, body_b) = parts.fields
    swapped = dataclasses.replace(parts, fields=((name_a, body_b), (name_b, body_a)))
    with pytest.raises(DecryptionError):
        open_record("message", "m-1", swapped.to_bytes(), recipient)


def test_dropping_a_field_fails_to_open(recipient, small_blob):
    parts = parse_envelope(small_blob)
    dropped = dataclasses.replace(parts, fields=parts.fields[:1])
    with pytest.raises(DecryptionError):
        open_record("message", "m-1", dropped.to_bytes(), recipient)


def test_renaming_a_field_fails_to_open(recipient, small_blob):
    parts = parse_envelope(small_blob)
    (_, body_a), second = parts.fields
    renamed = dataclasses.replace(parts, fields=(("Z", body_a), second))  # "Z" < "b": still sorted
    with pytest.raises(DecryptionError):
        open_record("message", "m-1", renamed.to_bytes(), recipient)


def test_a_field_moved_from_another_envelope_fails_to_open(recipient, small_blob):
    other = parse_envelope(seal_record("message", "m-1", SMALL, recipient.public_key))
    parts = parse_envelope(small_blob)
    mixed = dataclasses.replace(parts, fields=(parts.fields[0], other.fields[1]))
    with pytest.raises(DecryptionError):
        open_record("message", "m-1", mixed.to_bytes(), recipient)


@pytest.mark.parametrize(("kind", "record_id"), [("message", "m-2"), ("reply", "m-1")])
def test_an_envelope_opened_as_another_record_or_kind_fails(recipient, small_blob, kind, record_id):
    with pytest.raises(DecryptionError):
        open_record(kind, record_id, small_blob, recipient)


def test_a_field_ciphertext_is_bound_to_its_record_kind_and_name_even_under_one_data_key():
    data_key = bytes(range(32))
    body = wrap(pad(b"secret"), data_key, field_aad("message", "m-1", "a"))
    assert unwrap(body, data_key, field_aad("message", "m-1", "a")) == pad(b"secret")
    for kind, record_id, name in [
        ("message", "m-2", "a"),
        ("reply", "m-1", "a"),
        ("message", "m-1", "b"),
    ]:
        with pytest.raises(DecryptionError):
            unwrap(body, data_key, field_aad(kind, record_id, name))


def test_length_prefixes_make_kind_and_record_id_unambiguous():
    assert field_aad("ab", "c", "n") != field_aad("a", "bc", "n")


def test_non_canonical_field_order_is_rejected(recipient, small_blob):
    parts = parse_envelope(small_blob)
    reordered = dataclasses.replace(parts, fields=parts.fields[::-1])
    with pytest.raises(DecryptionError):
        open_record("message", "m-1", reordered.to_bytes(), recipient)


def test_a_duplicated_field_is_rejected(recipient, small_blob):
    parts = parse_envelope(small_blob)
    duplicated = dataclasses.replace(parts, fields=(parts.fields[0], parts.fields[0]))
    with pytest.raises(DecryptionError):
        open_record("message", "m-1", duplicated.to_bytes(), recipient)


@pytest.mark.parametrize(
    "blob",
    [b"", b"SRE", b"SRE\x02" + bytes(16), b"XYZ\x01" + bytes(16) + u32(0) + u32(0)],
)
def test_garbage_and_unknown_versions_fail_to_open(recipient, blob):
    with pytest.raises(DecryptionError):
        open_record("message", "m-1", blob, recipient)


def test_an_absurd_field_count_is_rejected_before_any_work(recipient, small_blob):
    parts = parse_envelope(small_blob)
    header = EnvelopeParts(1, parts.key_id, parts.sealed_key, ()).to_bytes()[:-4]
    with pytest.raises(DecryptionError):
        open_record("message", "m-1", header + u32(0xFFFFFFFF), recipient)
