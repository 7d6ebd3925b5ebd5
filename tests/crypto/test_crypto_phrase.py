import math

import pytest
from mnemonic import Mnemonic

from crypto import (
    WORDS_PER_PHRASE,
    CryptoError,
    PhraseError,
    derive_referrer_secrets,
    new_phrase,
    normalise_phrase,
)
from crypto.keyfile import TEST_PARAMS, Argon2Params
from crypto.phrase import PHRASE_ENTROPY_BITS, WORDLIST
from crypto.word_list import KIND_WORDS

PEPPER = b"p" * 16
PHRASE = "legal winner thank year wave sausage worth useful"


def test_a_phrase_has_at_least_80_bits_of_entropy():
    assert WORDS_PER_PHRASE == 8
    # New phrases come from the kinder list (tests/crypto/test_crypto_word_list.py).
    assert len(set(KIND_WORDS)) ** WORDS_PER_PHRASE >= 2**80
    assert PHRASE_ENTROPY_BITS == math.log2(len(KIND_WORDS) ** 8) >= 80


def test_the_word_list_is_the_one_the_mnemonic_package_ships():
    assert list(WORDLIST) == Mnemonic("english").wordlist
    assert len(WORDLIST) == 2048


def test_a_new_phrase_is_8_lower_case_listed_words_separated_by_single_spaces():
    phrase = new_phrase()
    words = phrase.split(" ")
    assert len(words) == 8 and all(word in WORDLIST for word in words)
    assert phrase == phrase.lower().strip() and "  " not in phrase
    assert normalise_phrase(phrase) == phrase


def test_new_phrases_differ():
    assert len({new_phrase() for _ in range(50)}) == 50


@pytest.mark.parametrize(
    "messy",
    [
        PHRASE.upper(),
        "  " + PHRASE.replace(" ", "   ") + "\n",
        PHRASE.replace(" ", "-"),
        PHRASE.replace(" ", ". "),
        PHRASE.replace(" ", ", "),
        PHRASE.replace(" ", " – "),
        "Legal winner thank year wave sausage worth useful.",
        "legal\twinner\nthank year wave sausage worth useful",
        "ｌｅｇａｌ winner thank year wave sausage worth useful",
    ],
)
def test_normalisation_accepts_messy_input(messy):
    assert normalise_phrase(messy) == PHRASE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Your reference phrase should be 8 words"),
        ("legal winner thank year wave sausage worth", "Your reference phrase should be 8 words"),
        (PHRASE + " legal", "Your reference phrase should be 8 words"),
        ("legal " * 500, "Your reference phrase should be 8 words"),
        (
            "legal winner xyzzy year wave sausage worth useful",
            "'xyzzy' is not one of the words we use. Check the spelling",
        ),
        (
            "legal winner thank year wave sausage worth usefull",
            "'usefull' is not one of the words we use. Check the spelling",
        ),
    ],
)
def test_normalisation_rejects_bad_input_with_a_plain_english_message(text, message):
    with pytest.raises(PhraseError) as caught:
        normalise_phrase(text)
    assert str(caught.value) == message


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\u200b", "\x1b[31m"])
def test_nul_and_control_characters_are_rejected(bad):
    with pytest.raises(PhraseError, match="character we cannot read"):
        normalise_phrase(PHRASE.replace(" ", bad, 1))


def test_a_long_unknown_word_is_echoed_only_in_part():
    with pytest.raises(PhraseError) as caught:
        normalise_phrase("a" * 200 + " winner thank year wave sausage worth useful")
    assert len(str(caught.value)) < 100


def test_a_phrase_error_is_a_value_error_and_a_crypto_error():
    with pytest.raises(ValueError):
        normalise_phrase("nope")
    assert issubclass(PhraseError, CryptoError)


def test_derivation_is_deterministic_and_ignores_how_the_phrase_was_typed():
    first = derive_referrer_secrets(PHRASE, PEPPER, TEST_PARAMS)
    second = derive_referrer_secrets(PHRASE.upper().replace(" ", "-"), PEPPER, TEST_PARAMS)
    assert first == second
    assert len(first.lookup_id) == 64 and int(first.lookup_id, 16) >= 0
    assert first.private_key.public_key == second.private_key.public_key


def test_derivation_depends_on_the_pepper_the_phrase_and_the_params():
    base = derive_referrer_secrets(PHRASE, PEPPER, TEST_PARAMS)
    other_pepper = derive_referrer_secrets(PHRASE, b"q" * 16, TEST_PARAMS)
    other_phrase = derive_referrer_secrets(new_phrase(), PEPPER, TEST_PARAMS)
    other_params = derive_referrer_secrets(
        PHRASE, PEPPER, Argon2Params(2, 8, 1, minimum_enforced=False)
    )
    for other in (other_pepper, other_phrase, other_params):
        assert other.lookup_id != base.lookup_id
        assert other.private_key.public_key != base.private_key.public_key


def test_the_lookup_id_and_the_key_seed_are_independent():
    secrets = derive_referrer_secrets(PHRASE, PEPPER, TEST_PARAMS)
    assert secrets.lookup_id not in secrets.private_key.to_bytes().hex()


@pytest.mark.parametrize("pepper", [b"", b"x" * 15, "p" * 16])
def test_a_pepper_shorter_than_16_bytes_is_refused(pepper):
    with pytest.raises(CryptoError, match="pepper"):
        derive_referrer_secrets(PHRASE, pepper, TEST_PARAMS)


def test_weak_params_not_marked_for_tests_are_refused():
    with pytest.raises(CryptoError, match="OWASP"):
        derive_referrer_secrets(PHRASE, PEPPER, Argon2Params(1, 8, 1))


def test_referrer_secrets_repr_never_contains_the_private_key():
    secrets = derive_referrer_secrets(PHRASE, PEPPER, TEST_PARAMS)
    shown = repr(secrets) + str(secrets)
    assert secrets.lookup_id in shown
    assert secrets.private_key.to_bytes().hex()[:16] not in shown
    assert "private_key" not in shown


# --- the auth key shared with the provider -----------------------------------------------


def test_the_auth_key_is_32_bytes_and_re_derived_identically_from_the_phrase() -> None:
    first = derive_referrer_secrets(PHRASE, PEPPER, TEST_PARAMS)
    again = derive_referrer_secrets(PHRASE.upper(), PEPPER, TEST_PARAMS)
    assert len(first.auth_key) == 32
    assert first.auth_key == again.auth_key


def test_the_auth_key_is_hkdf_of_the_master_secret_under_its_own_label() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    from crypto.keyfile import argon2id

    master = argon2id(PHRASE.encode(), PEPPER, TEST_PARAMS)
    expected = HKDF(hashes.SHA256(), 32, salt=None, info=b"safe-referral/v1/referrer-auth-key")
    assert derive_referrer_secrets(PHRASE, PEPPER, TEST_PARAMS).auth_key == expected.derive(master)


def test_the_auth_key_is_unrelated_to_the_lookup_id_and_the_reply_key() -> None:
    # The lookup id is stored at intake; the auth key must not be computable from it.
    s = derive_referrer_secrets(PHRASE, PEPPER, TEST_PARAMS)
    assert s.auth_key.hex() != s.lookup_id
    assert s.auth_key not in s.private_key.to_bytes()


def test_the_auth_key_differs_per_phrase_and_per_pepper() -> None:
    base = derive_referrer_secrets(PHRASE, PEPPER, TEST_PARAMS).auth_key
    other_phrase = derive_referrer_secrets(
        "abandon ability able about above absent absorb abstract", PEPPER, TEST_PARAMS
    )
    other_pepper = derive_referrer_secrets(PHRASE, b"q" * 16, TEST_PARAMS)
    assert len({base, other_phrase.auth_key, other_pepper.auth_key}) == 3


def test_the_auth_key_never_shows_in_repr() -> None:
    s = derive_referrer_secrets(PHRASE, PEPPER, TEST_PARAMS)
    assert s.auth_key.hex()[:16] not in repr(s)
    assert "auth_key" not in repr(s)


def test_the_binding_carries_the_reply_public_key_and_auth_key() -> None:
    s = derive_referrer_secrets(PHRASE, PEPPER, TEST_PARAMS)
    assert s.binding.public_key == s.private_key.public_key
    assert s.binding.auth_key == s.auth_key
