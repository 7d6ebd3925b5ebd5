import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto import CryptoError, DecryptionError
from crypto.padding import BUCKETS, MAX_PLAINTEXT, bucket_for, pad, unpad


def test_the_buckets_are_as_documented():
    assert BUCKETS == (256, 1024, 4096, 16384, 65536)
    assert MAX_PLAINTEXT == 65532


@pytest.mark.parametrize("bucket", BUCKETS)
def test_a_plaintext_exactly_filling_a_bucket_stays_in_it_and_one_more_byte_moves_up(bucket):
    fits = bucket - 4
    assert len(pad(b"a" * fits)) == bucket
    if bucket != BUCKETS[-1]:
        assert len(pad(b"a" * (fits + 1))) == BUCKETS[BUCKETS.index(bucket) + 1]


def test_plaintexts_in_the_same_bucket_pad_to_equal_lengths():
    assert {len(pad(b"x" * n)) for n in range(253)} == {256}
    assert {len(pad(b"x" * n)) for n in (253, 600, 1020)} == {1024}


def test_padding_is_a_length_prefix_then_zero_fill():
    assert pad(b"hi") == b"\x00\x00\x00\x02hi" + bytes(250)


def test_a_plaintext_over_the_largest_bucket_is_refused_clearly():
    with pytest.raises(CryptoError, match="too long to seal; the limit is 65532 bytes"):
        bucket_for(65533)


@given(st.binary(max_size=5000))
def test_unpad_reverses_pad(data):
    assert unpad(pad(data)) == data


@pytest.mark.parametrize(
    "padded",
    [
        b"",
        bytes(255),
        bytes(257),
        b"\x00\x00\x01\x00" + bytes(252),  # length 256 cannot fit in a 256-byte bucket
        b"\x00\x00\x00\x01a" + b"\x01" + bytes(250),  # non-zero fill
    ],
)
def test_unpad_rejects_anything_pad_could_not_have_produced(padded):
    with pytest.raises(DecryptionError):
        unpad(padded)


def test_unpad_accepts_a_larger_bucket_than_necessary():
    assert unpad(b"\x00\x00\x00\x02hi" + bytes(1018)) == b"hi"
