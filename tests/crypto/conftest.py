"""Fixtures for the crypto package tests (all Argon2 work here uses TEST_PARAMS unless noted)."""

import sys
from pathlib import Path

import pytest

# The package is not installed into the venv's editable mapping, so make the repository root
# importable when pytest is run without it on sys.path.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from crypto.keys import PrivateKey  # noqa: E402


@pytest.fixture(scope="session")
def recipient() -> PrivateKey:
    return PrivateKey.generate()


@pytest.fixture(scope="session")
def stranger() -> PrivateKey:
    return PrivateKey.generate()
