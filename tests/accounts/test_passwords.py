"""The one password rule and Argon2id hashing (app.accounts.passwords)."""

from __future__ import annotations

import pytest

from app.accounts import passwords
from crypto.keyfile import TEST_PARAMS


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short pass", "Password must be 12 characters or more"),
        ("x" * 257, "Password must be 256 characters or fewer"),
        (" Someone@Example.test ", "Password must not be your email address"),
        ("correct horse battery staple", None),
    ],
)
def test_the_password_rule_says_what_is_wrong_in_words(password: str, problem: str | None) -> None:
    assert passwords.password_problem(password, "someone@example.test") == problem


def test_a_hash_is_argon2id_and_verifies_only_the_right_password() -> None:
    hashed = passwords.hash_password("correct horse battery staple", TEST_PARAMS)
    assert hashed.startswith("$argon2id$")
    assert passwords.verify(hashed, "correct horse battery staple", TEST_PARAMS)
    assert not passwords.verify(hashed, "correct horse battery stapler", TEST_PARAMS)


def test_a_missing_or_broken_hash_never_verifies() -> None:
    assert not passwords.verify(None, "anything at all", TEST_PARAMS)
    assert not passwords.verify("not a hash", "anything at all", TEST_PARAMS)


def test_only_the_hash_of_a_setup_token_is_kept_and_odd_tokens_are_refused_early() -> None:
    token = passwords.new_token()
    assert len(token) >= 40 and token not in passwords.token_hash(token)
    assert passwords.plausible_token(token)
    assert not passwords.plausible_token("") and not passwords.plausible_token("x" * 101)
