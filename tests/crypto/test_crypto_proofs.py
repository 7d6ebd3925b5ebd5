"""Proofs bind a message or action to its referral, direction, kind, position and exact bytes."""

import hashlib
import hmac
import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import DELETION, MESSAGE, WITHDRAWAL, CryptoError, prove, verify_proof
from crypto.proofs import PROOF_SIZE, proof_input

KEY = secrets.token_bytes(32)
BASE: dict = {
    "referral_id": "3f6c1a0e-7d2b-4c8e-9a51-0b6f2d4e8c17",
    "direction": "referrer",
    "kind": MESSAGE,
    "position": 2,
    "body": b"sealed message bytes",
}


def test_a_proof_verifies_for_exactly_what_it_was_made_for() -> None:
    proof = prove(KEY, **BASE)
    assert len(proof) == PROOF_SIZE == 32
    assert verify_proof(KEY, proof, **BASE)


def test_a_proof_is_deterministic_so_either_end_can_recompute_it() -> None:
    assert prove(KEY, **BASE) == prove(bytes(KEY), **BASE)


def test_a_proof_for_position_2_does_not_verify_at_position_3() -> None:
    # A replayed message or withdrawal lands at a different position.
    assert not verify_proof(KEY, prove(KEY, **BASE), **{**BASE, "position": 3})


def test_a_proof_never_verifies_for_another_referral() -> None:
    assert not verify_proof(KEY, prove(KEY, **BASE), **{**BASE, "referral_id": "another-id"})


def test_a_proof_never_verifies_in_the_other_direction() -> None:
    # A referrer's message reflected back as if the provider had sent it.
    assert not verify_proof(KEY, prove(KEY, **BASE), **{**BASE, "direction": "provider"})


def test_a_proof_never_verifies_for_another_body() -> None:
    assert not verify_proof(KEY, prove(KEY, **BASE), **{**BASE, "body": b"sealed message bytez"})
    assert not verify_proof(KEY, prove(KEY, **BASE), **{**BASE, "body": b""})


def test_a_message_proof_never_verifies_as_a_withdrawal_or_deletion() -> None:
    proof = prove(KEY, **BASE)
    for kind in (WITHDRAWAL, DELETION):
        assert not verify_proof(KEY, proof, **{**BASE, "kind": kind})


def test_a_proof_never_verifies_under_another_auth_key() -> None:
    # The police side does not have the auth key, so any key it could use is "another key".
    assert not verify_proof(secrets.token_bytes(32), prove(KEY, **BASE), **BASE)


def test_a_forged_withdrawal_without_the_key_does_not_verify() -> None:
    withdrawal = {**BASE, "kind": WITHDRAWAL, "body": b""}
    assert verify_proof(KEY, prove(KEY, **withdrawal), **withdrawal)
    for guess in (b"", b"\x00" * 32, secrets.token_bytes(32), prove(KEY, **BASE)):
        assert not verify_proof(KEY, guess, **withdrawal)


@pytest.mark.parametrize("proof", [b"", b"\x00" * 31, b"\x00" * 33, "not bytes", None])
def test_a_malformed_proof_is_simply_false(proof: object) -> None:
    assert not verify_proof(KEY, proof, **BASE)  # type: ignore[arg-type]


def test_a_truncated_genuine_proof_is_false() -> None:
    proof = prove(KEY, **BASE)
    assert not verify_proof(KEY, proof[:16], **BASE)
    assert not verify_proof(KEY, proof + b"\x00", **BASE)


def test_length_prefixes_keep_shifted_boundaries_apart() -> None:
    # Without length prefixes "ab" + "c" and "a" + "bc" would MAC the same bytes.
    a = prove(KEY, **{**BASE, "referral_id": "r-1m", "kind": "essage"})
    b = prove(KEY, **{**BASE, "referral_id": "r-1", "kind": "message"})
    assert a != b


def test_the_proof_is_hmac_sha256_over_the_documented_input() -> None:
    expected_input = (
        b"\x00\x00\x00\x16safe-referral/v1/proof"
        + b"\x00\x00\x00\x24"
        + BASE["referral_id"].encode()
        + b"\x00\x00\x00\x08referrer"
        + b"\x00\x00\x00\x07message"
        + (2).to_bytes(8, "big")
        + b"\x00\x00\x00\x14sealed message bytes"
    )
    assert proof_input(**BASE) == expected_input
    assert prove(KEY, **BASE) == hmac.new(KEY, expected_input, hashlib.sha256).digest()


@pytest.mark.parametrize(
    "change",
    [
        {"direction": "police"},
        {"kind": ""},
        {"kind": "Message"},
        {"kind": "x" * 33},
        {"position": -1},
        {"position": 2**64},
        {"position": True},
        {"referral_id": ""},
        {"referral_id": "x" * 256},
        {"body": "text, not bytes"},
    ],
    ids=repr,
)
def test_malformed_arguments_are_a_caller_error(change: dict) -> None:
    with pytest.raises(CryptoError):
        prove(KEY, **{**BASE, **change})
    with pytest.raises(CryptoError):
        verify_proof(KEY, b"\x00" * 32, **{**BASE, **change})


@pytest.mark.parametrize("key", [b"", b"k" * 31, b"k" * 33])
def test_an_auth_key_must_be_32_bytes(key: bytes) -> None:
    with pytest.raises(CryptoError):
        prove(key, **BASE)


def test_the_largest_position_is_accepted() -> None:
    last = {**BASE, "position": 2**64 - 1}
    assert verify_proof(KEY, prove(KEY, **last), **last)


@settings(max_examples=60, deadline=None)
@given(
    referral_id=st.text(min_size=1, max_size=40),
    position=st.integers(min_value=0, max_value=2**64 - 2),
    body=st.binary(max_size=64),
    which=st.sampled_from(["referral_id", "direction", "kind", "position", "body"]),
)
def test_changing_any_one_bound_input_breaks_the_proof(
    referral_id: str, position: int, body: bytes, which: str
) -> None:
    try:
        referral_id.encode("utf-8")
    except UnicodeEncodeError:
        return  # lone surrogates are refused before any MAC is made
    made = {
        "referral_id": referral_id,
        "direction": "referrer",
        "kind": MESSAGE,
        "position": position,
        "body": body,
    }
    changed = {
        "referral_id": referral_id + "x",
        "direction": "provider",
        "kind": WITHDRAWAL,
        "position": position + 1,
        "body": body + b"\x00",
    }
    proof = prove(KEY, **made)
    assert verify_proof(KEY, proof, **made)
    assert not verify_proof(KEY, proof, **{**made, which: changed[which]})
