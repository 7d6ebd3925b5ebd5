"""gunicorn's app targets for the stack.

`STACK_CHEAP_ARGON2=1` swaps the phrase's Argon2id (production: ~0.5 s of CPU and 64 MiB per
submit or lookup) for the test suite's parameters, so the tests and the load test's bounded
version fit a 2-core machine. It is read here, never in app/config.py: a real deployment
cannot turn it on. Everything else is the production configuration from the environment.
"""

from __future__ import annotations

import os

from flask import Flask

from app import create_console_app, create_intake_app
from crypto.keyfile import TEST_PARAMS


def intake() -> Flask:
    cheap = os.environ.get("STACK_CHEAP_ARGON2") == "1"
    return create_intake_app({"PHRASE_ARGON2": TEST_PARAMS} if cheap else None)


def console() -> Flask:
    return create_console_app()
