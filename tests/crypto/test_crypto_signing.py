"""Hybrid provider signing keys: ML-DSA-65 AND Ed25519, domain-separated by context."""

import pickle
import re

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, mldsa

from crypto import CryptoError, PrivateKey, SignatureError, SigningKey, VerifyKey
from crypto.signing import (
    MLDSA_PUBLIC_SIZE,
    MLDSA_SEED_SIZE,
    MLDSA_SIGNATURE_SIZE,
    SIGNATURE_SIZE,
    SIGNING_KEY_SIZE,
    VERIFY_KEY_SIZE,
    _to_be_signed,
    normalise_fingerprint,
)

CONTEXT = "recipient-key-set"
MESSAGE = b"the provider's keys, newest first"


@pytest.fixture(scope="module")
def signing_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def other_key() -> SigningKey:
    return SigningKey.generate()


def test_a_signature_verifies_with_the_signers_verify_key(signing_key: SigningKey) -> None:
    signature = signing_key.sign(CONTEXT, MESSAGE)
    assert len(signature) == SIGNATURE_SIZE == 3373
    signing_key.verify_key.verify(CONTEXT, MESSAGE, signature)  # returns without raising


def test_a_signature_does_not_verify_for_another_message(signing_key: SigningKey) -> None:
    signature = signing_key.sign(CONTEXT, MESSAGE)
    with pytest.raises(SignatureError):
        signing_key.verify_key.verify(CONTEXT, MESSAGE + b".", signature)


def test_a_signature_made_for_one_context_is_refused_for_another(signing_key: SigningKey) -> None:
    # Domain separation: a key-set signature must never pass as, say, a signed reply.
    signature = signing_key.sign(CONTEXT, MESSAGE)
    with pytest.raises(SignatureError):
        signing_key.verify_key.verify("reply", MESSAGE, signature)


def test_a_signature_does_not_verify_under_another_key(
    signing_key: SigningKey, other_key: SigningKey
) -> None:
    signature = signing_key.sign(CONTEXT, MESSAGE)
    with pytest.raises(SignatureError):
        other_key.verify_key.verify(CONTEXT, MESSAGE, signature)


def test_a_signature_with_a_broken_ed25519_half_is_refused(signing_key: SigningKey) -> None:
    # The ML-DSA half alone is genuine: one valid half is not enough.
    signature = bytearray(signing_key.sign(CONTEXT, MESSAGE))
    signature[-1] ^= 0x01
    with pytest.raises(SignatureError):
        signing_key.verify_key.verify(CONTEXT, MESSAGE, bytes(signature))


def test_a_signature_with_a_broken_ml_dsa_half_is_refused(signing_key: SigningKey) -> None:
    signature = bytearray(signing_key.sign(CONTEXT, MESSAGE))
    signature[10] ^= 0x01
    with pytest.raises(SignatureError):
        signing_key.verify_key.verify(CONTEXT, MESSAGE, bytes(signature))


def test_a_genuine_half_spliced_with_another_keys_genuine_half_is_refused(
    signing_key: SigningKey,
) -> None:
    # Both halves are real signatures over the same input, but the Ed25519 one is by a key
    # that is not part of this verify key: hybrid means both of *this key's* halves.
    tbs = _to_be_signed(CONTEXT, signing_key.verify_key.key_id_bytes, MESSAGE)
    genuine = signing_key.sign(CONTEXT, MESSAGE)
    foreign_ed = ed25519.Ed25519PrivateKey.generate().sign(tbs)
    foreign_mldsa = mldsa.MLDSA65PrivateKey.generate().sign(tbs)
    for spliced in (
        genuine[:MLDSA_SIGNATURE_SIZE] + foreign_ed,
        foreign_mldsa + genuine[MLDSA_SIGNATURE_SIZE:],
    ):
        with pytest.raises(SignatureError):
            signing_key.verify_key.verify(CONTEXT, MESSAGE, spliced)


def test_each_half_is_a_standard_signature_over_the_documented_input(
    signing_key: SigningKey,
) -> None:
    # What docs/envelope-format.md section 9 says, checked with the primitives directly.
    signature = signing_key.sign(CONTEXT, MESSAGE)
    raw = signing_key.verify_key.to_bytes()
    tbs = (
        b"\x00\x00\x00\x1asafe-referral/v1/signature"
        + len(CONTEXT).to_bytes(4, "big")
        + CONTEXT.encode()
        + b"\x00\x00\x00\x10"
        + signing_key.verify_key.key_id_bytes
        + len(MESSAGE).to_bytes(4, "big")
        + MESSAGE
    )
    assert tbs == _to_be_signed(CONTEXT, signing_key.verify_key.key_id_bytes, MESSAGE)
    mldsa.MLDSA65PublicKey.from_public_bytes(raw[:MLDSA_PUBLIC_SIZE]).verify(
        signature[:MLDSA_SIGNATURE_SIZE], tbs
    )
    ed25519.Ed25519PublicKey.from_public_bytes(raw[MLDSA_PUBLIC_SIZE:]).verify(
        signature[MLDSA_SIGNATURE_SIZE:], tbs
    )


@pytest.mark.parametrize("bad", [b"", b"\x00" * SIGNATURE_SIZE, b"\x00" * (SIGNATURE_SIZE - 1)])
def test_a_malformed_signature_is_refused(signing_key: SigningKey, bad: bytes) -> None:
    with pytest.raises(SignatureError):
        signing_key.verify_key.verify(CONTEXT, MESSAGE, bad)


def test_a_truncated_or_extended_signature_is_refused(signing_key: SigningKey) -> None:
    signature = signing_key.sign(CONTEXT, MESSAGE)
    for bad in (signature[:-1], signature + b"\x00"):
        with pytest.raises(SignatureError):
            signing_key.verify_key.verify(CONTEXT, MESSAGE, bad)


@pytest.mark.parametrize("context", ["", "Upper", "with space", "x" * 256, "é"])
def test_a_context_that_is_not_a_plain_identifier_is_refused(
    signing_key: SigningKey, context: str
) -> None:
    with pytest.raises(CryptoError):
        signing_key.sign(context, MESSAGE)


def test_a_signing_key_round_trips_through_its_custody_bytes(signing_key: SigningKey) -> None:
    raw = signing_key.to_bytes()
    assert len(raw) == SIGNING_KEY_SIZE == MLDSA_SEED_SIZE + 32
    again = SigningKey.from_bytes(raw)
    assert again == signing_key
    assert again.verify_key == signing_key.verify_key
    # A restored key still makes signatures the original verify key accepts.
    signing_key.verify_key.verify(CONTEXT, MESSAGE, again.sign(CONTEXT, MESSAGE))


def test_a_verify_key_round_trips_through_bytes_and_text(signing_key: SigningKey) -> None:
    public = signing_key.verify_key
    assert len(public.to_bytes()) == VERIFY_KEY_SIZE == 1984
    assert VerifyKey.from_bytes(public.to_bytes()) == public
    text = public.to_text()
    assert text.startswith("-----BEGIN SAFE REFERRAL SIGNING PUBLIC KEY-----\n")
    assert VerifyKey.from_text(text) == public


def test_a_recipient_public_key_text_is_not_accepted_as_a_verify_key(recipient: PrivateKey) -> None:
    with pytest.raises(CryptoError):
        VerifyKey.from_text(recipient.public_key.to_text())


@pytest.mark.parametrize("size", [0, VERIFY_KEY_SIZE - 1, VERIFY_KEY_SIZE + 1])
def test_a_verify_key_of_the_wrong_length_is_refused(size: int) -> None:
    with pytest.raises(CryptoError):
        VerifyKey.from_bytes(b"\x01" * size)


def test_the_fingerprint_is_8_groups_of_4_hex_digits_like_the_recipient_keys(
    signing_key: SigningKey, recipient: PrivateKey
) -> None:
    pattern = re.compile(r"[0-9A-F]{4}( [0-9A-F]{4}){7}")
    assert pattern.fullmatch(signing_key.verify_key.fingerprint)
    assert pattern.fullmatch(recipient.public_key.fingerprint)
    assert re.fullmatch(r"[0-9a-f]{32}", signing_key.key_id)
    # Different derivations: the key id is not the fingerprint in another case.
    assert signing_key.key_id != signing_key.verify_key.fingerprint.replace(" ", "").lower()


def test_a_fingerprint_matches_however_it_was_typed(
    signing_key: SigningKey, other_key: SigningKey
) -> None:
    fp = signing_key.verify_key.fingerprint
    for typed in (fp, fp.lower(), fp.replace(" ", ""), fp.replace(" ", "-"), f"  {fp}\n"):
        assert signing_key.verify_key.matches_fingerprint(typed)
    assert not signing_key.verify_key.matches_fingerprint(other_key.verify_key.fingerprint)


@pytest.mark.parametrize("typed", ["", "ABCD", "G" * 32, "0" * 33])
def test_a_fingerprint_that_is_not_32_hex_digits_is_refused(typed: str) -> None:
    with pytest.raises(CryptoError):
        normalise_fingerprint(typed)


def test_the_signing_key_never_shows_in_repr_and_cannot_be_pickled(
    signing_key: SigningKey,
) -> None:
    assert signing_key.key_id in repr(signing_key)
    assert signing_key.to_bytes().hex()[:16] not in repr(signing_key)
    with pytest.raises(TypeError):
        pickle.dumps(signing_key)


def test_generated_keys_differ() -> None:
    assert SigningKey.generate() != SigningKey.generate()
