"""Fixtures for the shared account code: both surfaces' apps, with cheap password hashing."""

from __future__ import annotations

import pytest
from flask import Flask

from crypto.keyfile import TEST_PARAMS


@pytest.fixture
def analysts_app(app: Flask) -> Flask:
    """The police-side app (intake + standards), as DPS analysts sign in to it."""
    app.config.update(ANALYST_ARGON2=TEST_PARAMS)
    return app
