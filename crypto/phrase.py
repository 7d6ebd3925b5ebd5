"""Reference phrases: 8 words from a kinder BIP-39 English list (87 bits), and what they unlock.

One Argon2id run (salt = the instance pepper) turns a phrase into a 32-byte master secret;
HKDF-SHA256 then derives the lookup id stored at intake, the seed of the referrer's own
hybrid key pair, and the auth key the referrer shares with the provider (crypto.proofs).
Only the word list is borrowed from BIP-39, not its checksum or seed scheme.
"""

from __future__ import annotations

import math
import re
import secrets
import unicodedata
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from mnemonic import Mnemonic

from crypto.envelope import AUTH_KEY_SIZE, ReferrerBinding
from crypto.errors import CryptoError, PhraseError
from crypto.keyfile import DEFAULT_PARAMS, Argon2Params, argon2id
from crypto.keys import PRIVATE_KEY_SIZE, PrivateKey
from crypto.word_list import KIND_WORDS

# Every BIP-39 word is accepted when typed (phrases made before crypto.word_list still work);
# new phrases use only KIND_WORDS.
WORDLIST: tuple[str, ...] = tuple(Mnemonic("english").wordlist)
_WORDS = frozenset(WORDLIST)
WORDS_PER_PHRASE = 8
PHRASE_ENTROPY_BITS = WORDS_PER_PHRASE * math.log2(len(KIND_WORDS))
MIN_PEPPER_SIZE = 16
MASTER_SIZE = 32
LOOKUP_ID_INFO = b"safe-referral/v1/lookup-id"
REFERRER_KEY_INFO = b"safe-referral/v1/referrer-key"
AUTH_KEY_INFO = b"safe-referral/v1/referrer-auth-key"

# Phones and people separate words in many ways; all of these count as a word break.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212.,;:_/]+")
_ALLOWED_CONTROLS = frozenset("\t\n\r")
_MAX_INPUT = 400
_WRONG_COUNT = f"Your reference phrase should be {WORDS_PER_PHRASE} words"
_BAD_CHARACTER = (
    "Your reference phrase contains a character we cannot read. "
    "Type it again using only letters and spaces"
)


def new_phrase() -> str:
    """A fresh random phrase: lower-case words separated by single spaces."""
    return " ".join(secrets.choice(KIND_WORDS) for _ in range(WORDS_PER_PHRASE))


def _shown(word: str) -> str:
    # Echo at most a short prefix of what was typed back into the error message.
    return word if len(word) <= 30 else word[:30] + "…"


def normalise_phrase(text: str) -> str:
    """Canonical form of a typed phrase, or PhraseError with a message fit to show the user."""
    if not isinstance(text, str):
        raise PhraseError(_WRONG_COUNT)
    if len(text) > _MAX_INPUT:
        raise PhraseError(_WRONG_COUNT)
    # NFKC folds full-width and other look-alike letters some keyboards produce.
    text = unicodedata.normalize("NFKC", text)
    if any(unicodedata.category(ch).startswith("C") and ch not in _ALLOWED_CONTROLS for ch in text):
        raise PhraseError(_BAD_CHARACTER)
    words = [word for word in _SEPARATORS.split(text.lower()) if word]
    for word in words:
        if word not in _WORDS:
            raise PhraseError(
                f"'{_shown(word)}' is not one of the words we use. Check the spelling"
            )
    if len(words) != WORDS_PER_PHRASE:
        raise PhraseError(_WRONG_COUNT)
    return " ".join(words)


@dataclass(frozen=True)
class ReferrerSecrets:
    """What a reference phrase unlocks. The private key and auth key are kept out of repr.

    `auth_key` authenticates the referrer's messages and actions to the provider and the
    provider's replies to the referrer (crypto.proofs). Intake must never store it: the phrase
    holder re-derives it, and the provider learns it from inside the v2 referral envelope.
    """

    lookup_id: str
    private_key: PrivateKey = field(repr=False)
    auth_key: bytes = field(repr=False)

    @property
    def binding(self) -> ReferrerBinding:
        """What a v2 referral envelope carries: `seal_record(..., referrer=secrets.binding)`."""
        return ReferrerBinding(self.private_key.public_key, self.auth_key)


def _hkdf(master: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(master)


def derive_referrer_secrets(
    phrase: str,
    pepper: bytes,
    params: Argon2Params = DEFAULT_PARAMS,
) -> ReferrerSecrets:
    """Deterministically derive the lookup id, referrer key pair and auth key from a phrase."""
    normalised = normalise_phrase(phrase)
    params.validate()
    if not isinstance(pepper, bytes) or len(pepper) < MIN_PEPPER_SIZE:
        raise CryptoError(f"the pepper must be at least {MIN_PEPPER_SIZE} bytes")
    master = argon2id(normalised.encode("ascii"), pepper, params, MASTER_SIZE)
    return ReferrerSecrets(
        lookup_id=_hkdf(master, LOOKUP_ID_INFO, 32).hex(),
        private_key=PrivateKey.from_seed(_hkdf(master, REFERRER_KEY_INFO, PRIVATE_KEY_SIZE)),
        auth_key=_hkdf(master, AUTH_KEY_INFO, AUTH_KEY_SIZE),
    )
