"""Signed recipient key sets: intake seals only to keys the pinned signing key vouches for."""

import datetime as dt

import pytest

from crypto import (
    CryptoError,
    KeySet,
    KeySetError,
    PrivateKey,
    PublicKey,
    SigningKey,
    check_successor,
    sign_key_set,
    verify_key_set,
)
from crypto.key_set import KEY_SET_CONTEXT, MAX_KEYS, _body
from crypto.signing import SIGNATURE_SIZE

ISSUED = dt.date(2026, 12, 5)


@pytest.fixture(scope="module")
def signing_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def keys() -> tuple[PublicKey, PublicKey]:
    return PrivateKey.generate().public_key, PrivateKey.generate().public_key


@pytest.fixture(scope="module")
def blob(signing_key: SigningKey, keys: tuple[PublicKey, PublicKey]) -> bytes:
    return sign_key_set(
        signing_key, provider="Provider Ltd", sequence=7, issued=ISSUED, public_keys=keys
    )


def _pin(key: SigningKey) -> str:
    return key.verify_key.fingerprint


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def test_a_key_set_verifies_against_the_pinned_fingerprint(
    blob: bytes, signing_key: SigningKey, keys: tuple[PublicKey, PublicKey]
) -> None:
    key_set = verify_key_set(blob, _pin(signing_key))
    assert key_set.provider == "Provider Ltd"
    assert key_set.sequence == 7
    assert key_set.issued == ISSUED and type(key_set.issued) is dt.date
    assert key_set.verify_key == signing_key.verify_key
    assert key_set.public_keys == keys
    assert key_set.key_ids == (keys[0].key_id, keys[1].key_id)


def test_the_newest_key_is_the_first_one_listed(
    blob: bytes, signing_key: SigningKey, keys: tuple[PublicKey, PublicKey]
) -> None:
    key_set = verify_key_set(blob, _pin(signing_key))
    assert key_set.newest == keys[0]
    assert key_set.public_key(keys[1].key_id) == keys[1]
    assert key_set.public_key(PrivateKey.generate().key_id) is None


def test_the_pinned_fingerprint_may_be_written_in_any_case_or_spacing(
    blob: bytes, signing_key: SigningKey
) -> None:
    pin = _pin(signing_key)
    assert verify_key_set(blob, pin.lower().replace(" ", "")).sequence == 7
    assert verify_key_set(blob, pin.replace(" ", "-")).sequence == 7


def test_a_key_set_signed_by_another_key_is_refused(
    keys: tuple[PublicKey, PublicKey], signing_key: SigningKey
) -> None:
    # The insider's attack: write a key set of their own into intake's database.
    attacker = SigningKey.generate()
    forged = sign_key_set(
        attacker, provider="Provider Ltd", sequence=8, issued=ISSUED, public_keys=keys
    )
    with pytest.raises(KeySetError, match="other than the pinned"):
        verify_key_set(forged, _pin(signing_key))


def test_a_key_set_claiming_the_pinned_key_but_signed_by_another_is_refused(
    signing_key: SigningKey,
) -> None:
    # The embedded verify key is the genuine one, so the fingerprint check passes; only the
    # signature check can catch this.
    attacker = SigningKey.generate()
    body = _body(
        b"Provider Ltd",
        9,
        ISSUED.isoformat().encode(),
        signing_key.verify_key,
        [PrivateKey.generate().public_key],
    )
    forged = body + attacker.sign(KEY_SET_CONTEXT, body)
    with pytest.raises(KeySetError, match="signature"):
        verify_key_set(forged, _pin(signing_key))


def test_a_recipient_key_substituted_into_a_genuine_set_is_refused(
    blob: bytes, signing_key: SigningKey
) -> None:
    # Overwrite the newest recipient key in place with the insider's own key.
    verified = verify_key_set(blob, _pin(signing_key))
    theirs = PrivateKey.generate().public_key
    forged = blob.replace(verified.newest.to_bytes(), theirs.to_bytes())
    assert forged != blob and len(forged) == len(blob)
    with pytest.raises(KeySetError, match="signature"):
        verify_key_set(forged, _pin(signing_key))


def test_a_signature_over_the_same_bytes_for_another_purpose_is_refused(
    signing_key: SigningKey, keys: tuple[PublicKey, PublicKey]
) -> None:
    body = _body(b"Provider Ltd", 7, ISSUED.isoformat().encode(), signing_key.verify_key, keys)
    wrong_context = body + signing_key.sign("reply", body)
    with pytest.raises(KeySetError):
        verify_key_set(wrong_context, _pin(signing_key))


def test_a_recipient_keys_fingerprint_pinned_by_mistake_is_refused(
    blob: bytes, keys: tuple[PublicKey, PublicKey]
) -> None:
    with pytest.raises(KeySetError):
        verify_key_set(blob, keys[0].fingerprint)


@pytest.mark.parametrize("pin", ["", "not a fingerprint", "ABCD " * 7])
def test_a_malformed_pinned_fingerprint_is_a_configuration_error(blob: bytes, pin: str) -> None:
    with pytest.raises(KeySetError, match="configuration"):
        verify_key_set(blob, pin)


def test_changing_any_byte_of_a_key_set_is_refused(blob: bytes, signing_key: SigningKey) -> None:
    provider_at = 8  # after magic (3), version (1) and the provider's length (4)
    sequence_at = provider_at + len("Provider Ltd")
    date_at = sequence_at + 4
    key_at = date_at + 10
    count_at = key_at + 1984
    for index in (
        0,
        3,
        7,
        provider_at,
        sequence_at + 3,
        date_at + 9,
        key_at,
        key_at + 1983,
        count_at,
        count_at + 1,
        count_at + 1216,
        len(blob) - SIGNATURE_SIZE,
        len(blob) - 1,
    ):
        with pytest.raises(KeySetError):
            verify_key_set(_flip(blob, index), _pin(signing_key))


def test_a_truncated_or_extended_key_set_is_refused(blob: bytes, signing_key: SigningKey) -> None:
    for bad in (blob[:-1], blob + b"\x00", b"", blob[:100], b"SRS\x02" + blob[4:]):
        with pytest.raises(KeySetError):
            verify_key_set(bad, _pin(signing_key))


def test_a_non_canonical_issue_date_is_refused_even_when_signed(signing_key: SigningKey) -> None:
    # "2026-W49-6" is 10 bytes and a valid ISO date, but not the one canonical form.
    body = _body(
        b"Provider Ltd",
        1,
        b"2026-W49-6",
        signing_key.verify_key,
        [PrivateKey.generate().public_key],
    )
    with pytest.raises(KeySetError):
        verify_key_set(body + signing_key.sign(KEY_SET_CONTEXT, body), _pin(signing_key))


def test_the_issue_date_has_day_precision_only(
    signing_key: SigningKey, keys: tuple[PublicKey, PublicKey]
) -> None:
    with pytest.raises(CryptoError, match="day precision"):
        sign_key_set(
            signing_key,
            provider="P",
            sequence=1,
            issued=dt.datetime(2026, 12, 5, 9, 30),
            public_keys=keys,
        )


def test_the_digest_is_stable_across_signings_and_changes_with_the_content(
    signing_key: SigningKey, keys: tuple[PublicKey, PublicKey]
) -> None:
    def signed(**changes: object) -> KeySet:
        args: dict = {
            "provider": "Provider Ltd",
            "sequence": 7,
            "issued": ISSUED,
            "public_keys": keys,
        }
        args.update(changes)
        return verify_key_set(sign_key_set(signing_key, **args), _pin(signing_key))

    first, second = signed(), signed()
    assert first.digest == second.digest  # ML-DSA signatures are randomised; the digest is not
    assert len({first.digest}) == 1 and len(first.digest) == 64
    others = [
        signed(provider="Other"),
        signed(sequence=8),
        signed(issued=ISSUED + dt.timedelta(days=1)),
        signed(public_keys=keys[::-1]),
        signed(public_keys=keys[:1]),
    ]
    assert len({first.digest, *(other.digest for other in others)}) == 6


@pytest.mark.parametrize("count", [0, MAX_KEYS + 1])
def test_a_key_set_holds_1_to_16_keys(signing_key: SigningKey, count: int) -> None:
    public_keys = [PrivateKey.generate().public_key for _ in range(count)]
    with pytest.raises(CryptoError):
        sign_key_set(signing_key, provider="P", sequence=1, issued=ISSUED, public_keys=public_keys)


def test_a_key_listed_twice_is_refused(
    signing_key: SigningKey, keys: tuple[PublicKey, PublicKey]
) -> None:
    with pytest.raises(CryptoError):
        sign_key_set(
            signing_key, provider="P", sequence=1, issued=ISSUED, public_keys=[keys[0], keys[0]]
        )


@pytest.mark.parametrize("sequence", [-1, 2**32, True, 1.0])
def test_the_sequence_is_an_unsigned_32_bit_integer(
    signing_key: SigningKey, keys: tuple[PublicKey, PublicKey], sequence: object
) -> None:
    with pytest.raises(CryptoError):
        sign_key_set(
            signing_key,
            provider="P",
            sequence=sequence,  # type: ignore[arg-type]
            issued=ISSUED,
            public_keys=keys,
        )


# --- rolling forward ---------------------------------------------------------------------


def _set(
    signing_key: SigningKey, sequence: int, keys: list[PublicKey], provider: str = "P"
) -> KeySet:
    blob = sign_key_set(
        signing_key, provider=provider, sequence=sequence, issued=ISSUED, public_keys=keys
    )
    return verify_key_set(blob, _pin(signing_key))


def test_a_key_set_with_a_higher_sequence_replaces_the_current_one(
    signing_key: SigningKey, keys: tuple[PublicKey, PublicKey]
) -> None:
    current = _set(signing_key, 1, [keys[1]])
    rotated = _set(signing_key, 2, [keys[0], keys[1]])
    check_successor(current, rotated)  # no exception
    check_successor(current, _set(signing_key, 1, [keys[1]]))  # the same set again is fine


def test_an_older_key_set_is_refused_as_a_rollback(
    signing_key: SigningKey, keys: tuple[PublicKey, PublicKey]
) -> None:
    current = _set(signing_key, 5, [keys[0]])
    with pytest.raises(KeySetError, match="older"):
        check_successor(current, _set(signing_key, 4, [keys[1]]))


def test_two_different_key_sets_with_the_same_sequence_are_refused(
    signing_key: SigningKey, keys: tuple[PublicKey, PublicKey]
) -> None:
    current = _set(signing_key, 5, [keys[0]])
    with pytest.raises(KeySetError, match="same sequence"):
        check_successor(current, _set(signing_key, 5, [keys[1]]))


def test_a_key_set_for_another_provider_is_refused_as_a_successor(
    signing_key: SigningKey, keys: tuple[PublicKey, PublicKey]
) -> None:
    current = _set(signing_key, 5, [keys[0]])
    with pytest.raises(KeySetError, match="provider"):
        check_successor(current, _set(signing_key, 6, [keys[0]], provider="Q"))
