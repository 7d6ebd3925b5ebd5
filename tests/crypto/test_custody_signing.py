"""The provider signing key is granted to advisors and recovered exactly like the recipient key."""

import pytest

from crypto import (
    CryptoError,
    DecryptionError,
    PrivateKey,
    RecoveryKeyError,
    SigningKey,
    grant_recipient_key,
    grant_signing_key,
    new_recovery_key,
    open_grant,
    open_signing_grant,
    open_signing_key_with_recovery,
    open_with_recovery,
    wrap_for_recovery,
    wrap_signing_key_for_recovery,
)


@pytest.fixture(scope="module")
def signing_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def advisor_key() -> PrivateKey:
    return PrivateKey.generate()


@pytest.fixture(scope="module")
def recovery_text() -> str:
    return new_recovery_key()


def _flip(blob: bytes, index: int) -> bytes:
    return blob[:index] + bytes([blob[index] ^ 0x01]) + blob[index + 1 :]


# --- grants ------------------------------------------------------------------------------


def test_a_signing_key_grant_opens_for_the_advisor_it_was_made_for(
    signing_key: SigningKey, advisor_key: PrivateKey
) -> None:
    grant = grant_signing_key(signing_key, advisor_key.public_key, "advisor-1")
    assert grant[:4] == b"SSG\x01"
    opened = open_signing_grant(grant, advisor_key, "advisor-1", signing_key.key_id)
    assert opened == signing_key
    # What an advisor opens can actually sign for the provider.
    opened.verify_key.verify("recipient-key-set", b"x", opened.sign("recipient-key-set", b"x"))


def test_a_signing_key_grant_does_not_open_with_another_advisors_key_or_id(
    signing_key: SigningKey, advisor_key: PrivateKey, stranger: PrivateKey
) -> None:
    grant = grant_signing_key(signing_key, advisor_key.public_key, "advisor-1")
    with pytest.raises(DecryptionError):
        open_signing_grant(grant, stranger, "advisor-1", signing_key.key_id)
    with pytest.raises(DecryptionError):
        open_signing_grant(grant, advisor_key, "advisor-2", signing_key.key_id)


def test_a_signing_key_grant_names_the_key_inside(
    signing_key: SigningKey, advisor_key: PrivateKey
) -> None:
    grant = grant_signing_key(signing_key, advisor_key.public_key, "advisor-1")
    with pytest.raises(DecryptionError):
        open_signing_grant(grant, advisor_key, "advisor-1", SigningKey.generate().key_id)


def test_a_recipient_key_grant_cannot_be_opened_as_a_signing_key_grant_or_vice_versa(
    signing_key: SigningKey, advisor_key: PrivateKey, recipient: PrivateKey
) -> None:
    recipient_grant = grant_recipient_key(recipient, advisor_key.public_key, "advisor-1")
    signing_grant = grant_signing_key(signing_key, advisor_key.public_key, "advisor-1")
    # Even with the magic rewritten, the HPKE info names what kind of key is inside.
    relabelled = b"SSG" + recipient_grant[3:]
    with pytest.raises(DecryptionError):
        open_signing_grant(relabelled, advisor_key, "advisor-1", recipient.key_id)
    with pytest.raises(DecryptionError):
        open_grant(b"SRG" + signing_grant[3:], advisor_key, "advisor-1", signing_key.key_id)


def test_changing_any_byte_of_a_signing_key_grant_fails(
    signing_key: SigningKey, advisor_key: PrivateKey
) -> None:
    grant = grant_signing_key(signing_key, advisor_key.public_key, "advisor-1")
    for index in (0, 3, 4, 1123, 1124, len(grant) - 1):
        with pytest.raises(DecryptionError):
            open_signing_grant(_flip(grant, index), advisor_key, "advisor-1", signing_key.key_id)
    for bad in (grant[:-1], grant + b"\x00", b""):
        with pytest.raises(DecryptionError):
            open_signing_grant(bad, advisor_key, "advisor-1", signing_key.key_id)


def test_granting_something_that_is_not_a_signing_key_is_refused(
    advisor_key: PrivateKey, recipient: PrivateKey
) -> None:
    with pytest.raises(CryptoError):
        grant_signing_key(recipient, advisor_key.public_key, "advisor-1")  # type: ignore[arg-type]


# --- recovery ----------------------------------------------------------------------------


def test_a_signing_key_recovery_copy_opens_with_the_recovery_key(
    signing_key: SigningKey, recovery_text: str
) -> None:
    copy = wrap_signing_key_for_recovery(signing_key, recovery_text)
    assert copy[:4] == b"SSR\x01"
    assert len(copy) == 4 + 12 + 64 + 16
    assert open_signing_key_with_recovery(copy, recovery_text, signing_key.key_id) == signing_key


def test_one_recovery_key_protects_both_provider_keys(
    signing_key: SigningKey, recipient: PrivateKey, recovery_text: str
) -> None:
    signing_copy = wrap_signing_key_for_recovery(signing_key, recovery_text)
    recipient_copy = wrap_for_recovery(recipient, recovery_text)
    assert open_with_recovery(recipient_copy, recovery_text, recipient.key_id) == recipient
    assert open_signing_key_with_recovery(signing_copy, recovery_text, signing_key.key_id)
    # ... and neither copy opens as the other kind, even with the magic rewritten.
    with pytest.raises(DecryptionError):
        open_signing_key_with_recovery(b"SSR" + recipient_copy[3:], recovery_text, recipient.key_id)
    with pytest.raises(DecryptionError):
        open_with_recovery(b"SRR" + signing_copy[3:], recovery_text, signing_key.key_id)


def test_a_signing_key_recovery_copy_fails_with_another_recovery_key(
    signing_key: SigningKey, recovery_text: str
) -> None:
    copy = wrap_signing_key_for_recovery(signing_key, recovery_text)
    with pytest.raises(DecryptionError):
        open_signing_key_with_recovery(copy, new_recovery_key(), signing_key.key_id)


def test_a_mistyped_recovery_key_is_reported_as_a_typo(
    signing_key: SigningKey, recovery_text: str
) -> None:
    copy = wrap_signing_key_for_recovery(signing_key, recovery_text)
    typo = ("B" if recovery_text[0] != "B" else "C") + recovery_text[1:]
    with pytest.raises(RecoveryKeyError):
        open_signing_key_with_recovery(copy, typo, signing_key.key_id)


def test_a_signing_key_recovery_copy_names_the_key_inside_and_detects_tampering(
    signing_key: SigningKey, recovery_text: str
) -> None:
    copy = wrap_signing_key_for_recovery(signing_key, recovery_text)
    with pytest.raises(DecryptionError):
        open_signing_key_with_recovery(copy, recovery_text, SigningKey.generate().key_id)
    for index in (0, 3, 4, 20, len(copy) - 1):
        with pytest.raises(DecryptionError):
            open_signing_key_with_recovery(_flip(copy, index), recovery_text, signing_key.key_id)


@pytest.mark.parametrize("key_id", ["", "ABCDEF" * 6, "0" * 31])
def test_a_malformed_signing_key_id_is_a_caller_error(
    signing_key: SigningKey, advisor_key: PrivateKey, recovery_text: str, key_id: str
) -> None:
    grant = grant_signing_key(signing_key, advisor_key.public_key, "advisor-1")
    with pytest.raises(CryptoError):
        open_signing_grant(grant, advisor_key, "advisor-1", key_id)


def test_a_grant_or_copy_that_names_one_key_but_holds_another_is_refused(
    signing_key: SigningKey, advisor_key: PrivateKey, recovery_text: str
) -> None:
    # A buggy or malicious writer can make the labels agree with the key id asked for while
    # sealing a different key inside; the opened key's own id is checked as well.
    from crypto.custody import _SIGNING, _seal_grant, _wrap_recovery

    other = SigningKey.generate()
    named = signing_key.verify_key.key_id_bytes
    grant = _seal_grant(_SIGNING, other.to_bytes(), named, advisor_key.public_key, "advisor-1")
    with pytest.raises(DecryptionError):
        open_signing_grant(grant, advisor_key, "advisor-1", signing_key.key_id)
    copy = _wrap_recovery(_SIGNING, other.to_bytes(), named, recovery_text)
    with pytest.raises(DecryptionError):
        open_signing_key_with_recovery(copy, recovery_text, signing_key.key_id)
