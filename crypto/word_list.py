"""The words a new reference phrase is made from: BIP-39 English minus an exclusion list.

A reference phrase is read by someone who is being harmed, often more than once. Words of
weapons, violence, injury, death or abuse in it would be a needless blow, so they are taken
out here, group by group, each with the reason. The list stays the dependency's (DESIGN 4:
words from a list a dependency ships, not hand-typed); only the exclusions are ours.

Reviewed for issue 10 against every word of the `mnemonic` package's English list. To change
it: add words to the right group (or a new group with its reason), keep
`len(KIND_WORDS) >= 1024` (8 words x 10 bits = 80 bits), and have a second person review it.
Phrases already given out keep working: crypto.phrase still accepts every BIP-39 word typed.
"""

from __future__ import annotations

import math

from mnemonic import Mnemonic

BIP39_ENGLISH: tuple[str, ...] = tuple(Mnemonic("english").wordlist)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Each group: why its words are excluded, and the words (all of them BIP-39 words).
EXCLUDED_GROUPS: dict[str, tuple[str, frozenset[str]]] = {
    "weapons": (
        "Weapons and ammunition: the means of harm.",
        _words(
            "armed armor army arrow blade blast bomb bullet cannon gun hammer knife nuclear "
            "pistol razor rifle rocket scissors shaft shield siege soldier spike sword "
            "trigger warfare warrior weapon whip"
        ),
    ),
    "violence": (
        "Violence, force and cruelty: what many people using this service live with.",
        _words(
            "anger angry assault attack battle bind cage chase crash cruel crush destroy "
            "evil force fury grab harsh hunt inflict kick nasty punch riot rude shoot shove "
            "slam strike struggle tackle trap vicious wreck wrestle"
        ),
    ),
    "injury": (
        "Injury, pain and illness, and the parts of the body most often hurt.",
        _words(
            "ankle asthma bleak blind blood body bone broken chronic damage disease elbow "
            "fever hospital hurt illness inject injury kidney knee limb muscle neck nerve "
            "pill rib sick skin skull stomach symptom tongue tooth virus wrist"
        ),
    ),
    "death": (
        "Death, dying and loss.",
        _words("demise despair exile fatal ghost grief misery orphan tragic"),
    ),
    "abuse": (
        "Abuse, coercion and control: the subject of a referral.",
        _words(
            "abandon abuse accuse addict affair alcohol betray blame control divorce "
            "husband isolate jealous liar marriage monitor neglect obey secret spy wife"
        ),
    ),
    "crime_and_justice": (
        "Crime and what may follow it (police, courts, prison): what someone may fear.",
        _words(
            "arrest crime evidence guilt illegal inmate judge lawsuit patrol penalty police "
            "prison sheriff suspect trial witness"
        ),
    ),
    "fear_and_distress": (
        "Fear, distress and escape: a phrase should not echo how someone feels at worst.",
        _words(
            "afraid alarm alone anxiety chaos cry danger escape flee hazard hidden horror "
            "insane lonely panic sad sadness scare siren unhappy upset worry"
        ),
    ),
    "drugs": (
        "Alcohol, tobacco and drugs, often part of abuse.",
        _words("cigar tobacco"),
    ),
}
EXCLUDED: frozenset[str] = frozenset().union(*(words for _, words in EXCLUDED_GROUPS.values()))

# New phrases are made only from these, in the dependency's order.
KIND_WORDS: tuple[str, ...] = tuple(word for word in BIP39_ENGLISH if word not in EXCLUDED)
MIN_WORDS = 1024  # 2**10: 10 bits a word, 80 bits for 8 words


def entropy_bits(words: int) -> float:
    """Bits of a phrase of `words` words drawn uniformly from KIND_WORDS."""
    return words * math.log2(len(KIND_WORDS))


if len(KIND_WORDS) < MIN_WORDS:  # pragma: no cover - a guard against an over-long exclusion
    raise RuntimeError(f"the kind word list has {len(KIND_WORDS)} words, under {MIN_WORDS}")
