"""Shared fixtures: a real intake app on SQLite, or on PostgreSQL when TEST_DATABASE_URL is set.

Under pytest-xdist each worker gets its own PostgreSQL database, so workers never share tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_intake_app
from app.extensions import intake_db
from app.intake import recipients
from crypto.keyfile import TEST_PARAMS
from crypto.keys import PrivateKey
from tests.provider_signing import register_signed
from tests.referrer import Referrer

POSTGRES = os.environ.get("TEST_DATABASE_URL")


@contextmanager
def postgres_database(kind: str, worker: str, run: str) -> Iterator[str]:
    """A database of this test run's and worker's own, dropped when the run ends, so that
    concurrent runs on one server (and xdist workers) never share tables."""
    base = sa.engine.make_url(POSTGRES)
    name = f"safe_referral_{kind}_{run[:8]}_{worker}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'create database "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, testrun_uid: str
) -> Iterator[str]:
    if POSTGRES:
        with postgres_database("intake", worker_id, testrun_uid) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'intake.sqlite'}"


@pytest.fixture(scope="session")
def console_database_url(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, testrun_uid: str
) -> Iterator[str]:
    if POSTGRES:
        with postgres_database("console", worker_id, testrun_uid) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('console') / 'console.sqlite'}"


def intake_settings(database_url: str) -> dict[str, object]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PHRASE_ARGON2": TEST_PARAMS,
        "RATELIMIT_ENABLED": False,
        # The proof of work is paid by waiting, and tests wait no time (tests/intake/
        # test_fair_front_door.py turns the wait on and pays it both ways).
        "PROOF_OF_WORK_WAIT_SECONDS": 0,
        # What the form offers is read afresh on every page here, so tests that change the
        # routes see it at once; production keeps it a second (tests/intake/test_recipients.py
        # tests that second and that sending is refused within it).
        "OPEN_SERVICES_RECHECK_SECONDS": 0,
    }


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    app = create_intake_app(intake_settings(database_url))
    with app.app_context():
        intake_db.drop_all()
        intake_db.create_all()
    yield app
    with app.app_context():
        intake_db.session.remove()
        intake_db.drop_all()
        intake_db.engine.dispose()


@pytest.fixture
def provider_key(app: Flask) -> PrivateKey:
    """A provider whose public key is registered at intake for every service."""
    key = PrivateKey.generate()
    with app.app_context():
        register_signed("Test advisor service", key.public_key)
        for service in ("idva", "isva", "not_sure"):
            recipients.assign(service, "Test advisor service")
    return key


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def referrer(client: FlaskClient, provider_key: PrivateKey) -> Referrer:
    return Referrer(client)
