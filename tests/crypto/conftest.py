"""Fixtures for the crypto package tests (all Argon2 work here uses TEST_PARAMS unless noted)."""

import pytest

from crypto.keys import PrivateKey


@pytest.fixture(scope="session")
def recipient() -> PrivateKey:
    return PrivateKey.generate()


@pytest.fixture(scope="session")
def stranger() -> PrivateKey:
    return PrivateKey.generate()
