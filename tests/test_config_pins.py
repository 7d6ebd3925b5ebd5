"""Provider signing keys are pinned in deployment configuration, never in the database (G2)."""

from __future__ import annotations

import pytest

from app.config import ConfigurationError, parse_pins, refuse_unsafe_production


def test_pins_are_read_as_name_equals_fingerprint_separated_by_semicolons_or_lines() -> None:
    text = "Riverside service=ABCD 1234 ABCD 1234 ABCD 1234 ABCD 1234;\n# comment\nOther=ab:cd\n"

    assert parse_pins(text) == {
        "Riverside service": "ABCD 1234 ABCD 1234 ABCD 1234 ABCD 1234",
        "Other": "ab:cd",
    }


def test_a_pin_without_a_name_or_a_fingerprint_stops_the_configuration() -> None:
    for broken in ("just text", "=ABCD", "Name="):
        with pytest.raises(ConfigurationError):
            parse_pins(broken)


def test_production_intake_refuses_to_start_without_any_pinned_provider_key() -> None:
    config = {
        "ENV_NAME": "production", "SECRET_KEY": "x" * 40, "REFERENCE_PEPPER": b"p" * 32,
        "SQLALCHEMY_DATABASE_URI": "postgresql://db/intake", "RATELIMIT_STORAGE_URI": "redis://r",
        "PINNED_PROVIDER_KEYS": {},
    }
    with pytest.raises(ConfigurationError, match="PINNED_PROVIDER_KEYS"):
        refuse_unsafe_production(config)
