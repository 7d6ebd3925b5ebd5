import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import (
    FORMAT_VERSION,
    CryptoError,
    DecryptionError,
    PrivateKey,
    keyring,
    open_record,
    recipient_key_id,
    seal_record,
)
from crypto.envelope import MAX_FIELDS, parse_envelope
from crypto.padding import BUCKETS, MAX_PLAINTEXT

FIELDS = {
    "first_name": "Sam",
    "account": "He reads my messages. Zoë — «tell nobody» 💬\nSecond line\ttab",
    "access_needs": "",
    "safe_to_call": "yes",
}


def test_a_referral_round_trips_with_unicode_and_empty_fields(recipient):
    blob = seal_record("referral", "r-1", FIELDS, recipient.public_key)
    assert open_record("referral", "r-1", blob, recipient) == FIELDS


def test_an_envelope_with_no_fields_round_trips(recipient):
    blob = seal_record("note", "n-1", {}, recipient.public_key)
    assert open_record("note", "n-1", blob, recipient) == {}


@pytest.mark.parametrize(
    "length",
    sorted({0, 1} | {b - 4 for b in BUCKETS} | {b - 3 for b in BUCKETS[:-1]}),
)
def test_values_at_every_bucket_boundary_round_trip(recipient, length):
    value = "x" * length
    blob = seal_record("message", "m-1", {"body": value}, recipient.public_key)
    assert open_record("message", "m-1", blob, recipient) == {"body": value}


def test_multibyte_text_is_measured_in_utf8_bytes(recipient):
    value = "é" * (MAX_PLAINTEXT // 2)  # two bytes each: exactly the largest allowed
    blob = seal_record("message", "m-1", {"body": value}, recipient.public_key)
    assert open_record("message", "m-1", blob, recipient)["body"] == value
    with pytest.raises(CryptoError):
        seal_record("message", "m-1", {"body": value + "é"}, recipient.public_key)


def test_a_value_over_the_largest_bucket_is_refused_with_the_field_name(recipient):
    with pytest.raises(CryptoError, match=r"'account'.*65532"):
        seal_record("referral", "r-1", {"account": "x" * 65533}, recipient.public_key)


def test_the_error_for_an_over_long_value_never_contains_the_value(recipient):
    with pytest.raises(CryptoError) as caught:
        seal_record("referral", "r-1", {"account": "SECRET" * 20000}, recipient.public_key)
    assert "SECRET" not in str(caught.value)


def test_values_in_the_same_bucket_give_envelopes_of_equal_length(recipient):
    short = seal_record("message", "m-1", {"body": ""}, recipient.public_key)
    long = seal_record("message", "m-1", {"body": "y" * 252}, recipient.public_key)
    longer = seal_record("message", "m-1", {"body": "y" * 253}, recipient.public_key)
    assert len(short) == len(long) < len(longer)


def test_sealing_the_same_fields_twice_gives_different_blobs(recipient):
    first = seal_record("referral", "r-1", FIELDS, recipient.public_key)
    second = seal_record("referral", "r-1", FIELDS, recipient.public_key)
    assert first != second


def test_the_blob_starts_with_the_magic_version_and_recipient_key_id(recipient):
    blob = seal_record("referral", "r-1", FIELDS, recipient.public_key)
    assert blob[:3] == b"SRE"
    assert blob[3] == FORMAT_VERSION == 1
    assert blob[4:20].hex() == recipient.public_key.key_id
    assert recipient_key_id(blob) == recipient.key_id


def test_field_names_are_stored_in_sorted_order_and_values_are_not_in_clear(recipient):
    blob = seal_record("referral", "r-1", FIELDS, recipient.public_key)
    assert [name for name, _ in parse_envelope(blob).fields] == sorted(FIELDS)
    assert b"Sam" not in blob and "Zoë".encode() not in blob


def test_opening_with_the_wrong_private_key_fails(recipient, stranger):
    blob = seal_record("referral", "r-1", FIELDS, recipient.public_key)
    with pytest.raises(DecryptionError):
        open_record("referral", "r-1", blob, stranger)


def test_a_key_ring_with_old_and_new_keys_opens_envelopes_sealed_to_either(recipient):
    new = PrivateKey.generate()
    ring = keyring([recipient, new])
    old_blob = seal_record("referral", "r-old", FIELDS, recipient.public_key)
    new_blob = seal_record("referral", "r-new", FIELDS, new.public_key)
    assert open_record("referral", "r-old", old_blob, ring) == FIELDS
    assert open_record("referral", "r-new", new_blob, ring) == FIELDS


def test_a_key_ring_without_the_recipient_key_fails(recipient, stranger):
    blob = seal_record("referral", "r-1", FIELDS, recipient.public_key)
    with pytest.raises(DecryptionError):
        open_record("referral", "r-1", blob, keyring([stranger]))


def test_a_key_ring_entry_filed_under_the_wrong_id_fails(recipient, stranger):
    blob = seal_record("referral", "r-1", FIELDS, recipient.public_key)
    with pytest.raises(DecryptionError):
        open_record("referral", "r-1", blob, {recipient.key_id: stranger})


@pytest.mark.parametrize("kind", ["", "x" * 256])
def test_kind_must_be_1_to_255_bytes(recipient, kind):
    with pytest.raises(CryptoError):
        seal_record(kind, "r-1", {}, recipient.public_key)


@pytest.mark.parametrize("name", ["", "n" * 256, "\ud800"])
def test_field_names_must_be_1_to_255_bytes_of_valid_text(recipient, name):
    with pytest.raises(CryptoError):
        seal_record("referral", "r-1", {name: "v"}, recipient.public_key)


def test_a_non_string_value_is_refused(recipient):
    with pytest.raises(CryptoError):
        seal_record("referral", "r-1", {"age": 42}, recipient.public_key)  # type: ignore[dict-item]


def test_more_than_the_maximum_number_of_fields_is_refused(recipient):
    fields = {f"f{i:03}": "" for i in range(MAX_FIELDS + 1)}
    with pytest.raises(CryptoError):
        seal_record("referral", "r-1", fields, recipient.public_key)


@settings(max_examples=25, deadline=None)
@given(
    fields=st.dictionaries(
        st.text(min_size=1, max_size=20),
        st.text(max_size=300),
        max_size=5,
    ),
    record_id=st.text(min_size=1, max_size=40),
)
def test_any_text_fields_round_trip(recipient, fields, record_id):
    blob = seal_record("reply", record_id, fields, recipient.public_key)
    assert open_record("reply", record_id, blob, recipient) == fields
