"""Standards configuration: defaults from the environment, set on the intake app at start.

Kept here rather than in app/config.py so the standards surface is one package; every key
can still be overridden by the app factory's `overrides`, which are applied first.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app

from app.disclosure import DisclosureRules, Period
from app.standards.measures import Targets
from crypto.keyfile import Argon2Params


def funded_capacity_from(text: str) -> dict[str, int]:
    """'2025-26=180,2026-27=190' -> {"2025-26": 180, "2026-27": 190} (financial years only)."""
    capacity = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        label, _, number = item.partition("=")
        if Period.from_label(label.strip()).kind != "year" or not number.strip().isdigit():
            raise ValueError(f"FUNDED_CAPACITY: {item!r} is not like 2025-26=180")
        capacity[label.strip()] = int(number)
    return capacity


def defaults(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    return {
        "FIRST_CONTACT_TARGET_DAYS": int(environ.get("FIRST_CONTACT_TARGET_DAYS", "2")),
        "URGENT_FIRST_CONTACT_TARGET_DAYS": int(
            environ.get("URGENT_FIRST_CONTACT_TARGET_DAYS", "1")
        ),
        "ACKNOWLEDGE_TARGET_DAYS": int(environ.get("ACKNOWLEDGE_TARGET_DAYS", "1")),
        # Referrals per financial year the contract funds, by FY label.
        "FUNDED_CAPACITY": funded_capacity_from(environ.get("FUNDED_CAPACITY", "")),
        "DISCLOSURE_THRESHOLD": int(environ.get("DISCLOSURE_THRESHOLD", "10")),
        "DISCLOSURE_ROUNDING_BASE": int(environ.get("DISCLOSURE_ROUNDING_BASE", "5")),
        # Days after a period ends before it is released, so that referrals received on its
        # last days have had their full target time and the provider's sync has reported
        # them: a release is never revised, so it must not be made while figures still move.
        "STANDARDS_SETTLE_DAYS": int(environ.get("STANDARDS_SETTLE_DAYS", "14")),
        "STANDARDS_IDLE_MINUTES": int(environ.get("STANDARDS_IDLE_MINUTES", "15")),
        "ANALYST_INVITE_DAYS": 3,
        # RFC 9106 second recommended option; tests pass cheaper settings explicitly.
        "ANALYST_ARGON2": Argon2Params(time_cost=3, memory_kib=65536, parallelism=4),
    }


def init_app(app: Flask) -> None:
    for key, value in defaults().items():
        app.config.setdefault(key, value)


def rules() -> DisclosureRules:
    config = current_app.config
    return DisclosureRules(
        threshold=int(config["DISCLOSURE_THRESHOLD"]),
        rounding_base=int(config["DISCLOSURE_ROUNDING_BASE"]),
    )


def targets() -> Targets:
    config = current_app.config
    return Targets(
        acknowledge=int(config["ACKNOWLEDGE_TARGET_DAYS"]),
        first_contact=int(config["FIRST_CONTACT_TARGET_DAYS"]),
        urgent_first_contact=int(config["URGENT_FIRST_CONTACT_TARGET_DAYS"]),
    )
