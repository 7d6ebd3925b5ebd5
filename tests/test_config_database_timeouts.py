"""PostgreSQL is never waited on without a bound (app/config.py `engine_options`): a database
that accepts connections and then says nothing costs a request a few seconds and a 503, not
psycopg's 130 s; the web process's statements are bounded under gunicorn's worker timeout."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from app import create_intake_app
from app.config import engine_options, intake_config
from tests.stack.private_servers import SilentDatabase

POSTGRES = os.environ.get("TEST_DATABASE_URL")
CONNECT_SECONDS = 2  # psycopg's smallest connect_timeout
# The bound, plus room for a slow shared machine; psycopg's own default would be 130 s.
ANSWERED_WITHIN = CONNECT_SECONDS + 4


@pytest.fixture
def silent() -> Iterator[SilentDatabase]:
    with SilentDatabase() as server:
        yield server


def intake_on(url: str, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The intake app with its database URL from the environment, as production reads it."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DATABASE_CONNECT_TIMEOUT_SECONDS", str(CONNECT_SECONDS))
    return create_intake_app({"TESTING": True, "RATELIMIT_ENABLED": False})


def test_a_page_is_a_503_within_the_connect_bound_when_the_database_never_answers(
    silent: SilentDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = intake_on(silent.url(), monkeypatch)
    started = time.monotonic()
    response = app.test_client().get("/")  # the start page reads which services are open
    waited = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "Sorry, the service is unavailable" in response.get_data(as_text=True)
    assert silent.accepted, "the app never reached the silent database"
    assert CONNECT_SECONDS - 0.5 <= waited < ANSWERED_WITHIN, waited


def test_sqlite_gets_no_postgresql_connect_arguments() -> None:
    assert "connect_args" not in engine_options("sqlite:///intake.sqlite", web_process=True)
    sa.create_engine("sqlite://", **engine_options("sqlite://", web_process=True)).dispose()


def _statement_timeout(options: dict[str, object]) -> str:
    assert POSTGRES
    engine = sa.create_engine(POSTGRES, **options)  # type: ignore[arg-type]
    try:
        with engine.connect() as conn:
            return str(conn.scalar(sa.text("show statement_timeout")))
    finally:
        engine.dispose()


@pytest.mark.skipif(not POSTGRES, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_only_gunicorns_processes_bound_each_statement_and_flask_commands_do_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert POSTGRES
    monkeypatch.setenv("DATABASE_URL", POSTGRES)
    monkeypatch.delenv("SERVER_SOFTWARE", raising=False)
    assert _statement_timeout(intake_config()["SQLALCHEMY_ENGINE_OPTIONS"]) == "0"
    # gunicorn's arbiter sets this before it loads the app, in the master and every worker.
    monkeypatch.setenv("SERVER_SOFTWARE", "gunicorn/23.0.0")
    assert _statement_timeout(intake_config()["SQLALCHEMY_ENGINE_OPTIONS"]) == "20s"


@pytest.mark.skipif(not POSTGRES, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_a_statement_over_the_web_bound_is_cancelled_by_the_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert POSTGRES
    monkeypatch.setenv("DATABASE_STATEMENT_TIMEOUT_SECONDS", "1")
    engine = sa.create_engine(POSTGRES, **engine_options(POSTGRES, web_process=True))
    started = time.monotonic()
    try:
        with engine.connect() as conn, pytest.raises(sa.exc.OperationalError,
                                                     match="statement timeout"):
            conn.execute(sa.text("select pg_sleep(10)"))
    finally:
        engine.dispose()
    assert time.monotonic() - started < 5
