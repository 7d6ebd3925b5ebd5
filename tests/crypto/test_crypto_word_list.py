"""The kinder word list: no word of weapons, violence, injury, death or abuse is ever given out,
and 8 words still carry at least 80 bits."""

from __future__ import annotations

import math

from mnemonic import Mnemonic

from crypto.phrase import WORDS_PER_PHRASE, new_phrase, normalise_phrase
from crypto.word_list import EXCLUDED, EXCLUDED_GROUPS, KIND_WORDS, entropy_bits

# The words the issue found in phrases, and a few more of each kind.
REPORTED = {"pistol", "gun", "knife", "weapon", "abuse", "assault", "bullet", "blood"}
MORE = {"rifle", "sword", "attack", "injury", "skull", "fatal", "prison", "police", "bomb"}


def test_eight_kind_words_carry_at_least_80_bits():
    assert len(KIND_WORDS) >= 2**10
    assert entropy_bits(WORDS_PER_PHRASE) == WORDS_PER_PHRASE * math.log2(len(KIND_WORDS))
    assert entropy_bits(WORDS_PER_PHRASE) >= 80
    assert len(KIND_WORDS) ** WORDS_PER_PHRASE >= 2**80


def test_the_kind_list_is_the_dependency_list_minus_the_exclusions_only():
    bip39 = Mnemonic("english").wordlist
    assert list(KIND_WORDS) == [word for word in bip39 if word not in EXCLUDED]
    assert len(set(KIND_WORDS)) == len(KIND_WORDS)


def test_every_excluded_word_is_a_real_list_word_in_a_group_with_a_reason():
    bip39 = set(Mnemonic("english").wordlist)
    for name, (reason, words) in EXCLUDED_GROUPS.items():
        assert reason.strip() and words, name
        assert words <= bip39, f"{name}: not BIP-39 words {sorted(words - bip39)}"


def test_the_words_people_found_hurtful_are_excluded():
    assert REPORTED | MORE <= EXCLUDED
    assert not (REPORTED | MORE) & set(KIND_WORDS)


def test_no_excluded_word_appears_in_new_phrases():
    # 3,000 phrases draw 24,000 words: with 168 of 2,048 words excluded, a list that still
    # held them would show one here with probability 1 - (1880/2048)**24000, so essentially 1.
    seen: set[str] = set()
    for _ in range(3000):
        seen.update(new_phrase().split(" "))
    assert not seen & EXCLUDED
    assert len(seen) > 1500  # the draw really covers the list


def test_a_phrase_made_from_the_old_list_is_still_accepted():
    old = "pistol gun knife weapon abuse assault bullet blood"
    assert normalise_phrase(old.upper()) == old
