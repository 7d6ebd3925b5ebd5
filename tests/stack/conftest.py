"""The production-like stack (stack/), started once per test worker and always stopped.

Needs PostgreSQL (TEST_DATABASE_URL names the server; the stack makes databases of its own
beside the `test` database, never in it) and Redis on 127.0.0.1:6379 (a database number of
the worker's own). Each instance runs gunicorn in production configuration over TLS; the
only concession to a 2-core test machine is the test suite's Argon2id parameters.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from stack import processes
from stack.deployment import Stack
from stack.people import Person

POSTGRES = os.environ.get("TEST_DATABASE_URL")
# Two Redis databases per worker (intake's, then the console's), clear of the ones other
# tests use (0) and of the stack command's default (8, 9).
REDIS_DB = {"master": 14, "gw0": 10, "gw1": 12}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_answers() -> bool:
    try:
        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, testrun_uid: str
) -> Iterator[Stack]:
    if not POSTGRES:
        pytest.skip("the stack runs on PostgreSQL: set TEST_DATABASE_URL (as .ci/run does)")
    if not redis_answers():
        pytest.skip("the stack needs Redis on 127.0.0.1:6379 (.ci/run starts it)")
    if worker_id not in REDIS_DB:
        pytest.skip(f"no Redis database set aside for xdist worker {worker_id}")
    suffix = f"{testrun_uid[:8]}_{worker_id}"
    running = Stack(
        tmp_path_factory.mktemp("stack"),
        admin_url=POSTGRES,
        intake_database=f"stack_intake_{suffix}",
        console_database=f"stack_console_{suffix}",
        redis_db=REDIS_DB[worker_id],
        intake_ports=(free_port(), free_port()),
        console_port=free_port(),
        cheap_argon2=True,
        # Every test person comes from 127.0.0.1: the per-address submit bound (a building's)
        # is raised so the tests' own referrals never meet it; per session stays 5.
        intake_settings={"LIMIT_SUBMIT": "5 per hour per session;1000 per hour per address"},
    )
    try:
        running.start()  # stops what it started if it fails
        yield running
    finally:
        running.stop(drop=True)


def person(stack: Stack, instance: int = 0) -> Person:
    return Person(stack.intake_urls[instance], processes.tls_context(stack.directory))


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def intake_rows(stack: Stack, query: str) -> list[tuple]:
    """Rows from intake's database, read directly (what an insider there would see)."""
    engine = _engine(stack.intake_env["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(query))]
    finally:
        engine.dispose()


def console_rows(stack: Stack, query: str) -> list[tuple]:
    engine = _engine(stack.console_env["CONSOLE_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(query))]
    finally:
        engine.dispose()


def sync(stack: Stack) -> str:
    """One `flask console sync`, as the provider's timer runs it; its summary line."""
    result = stack.flask("console", "console", "sync")
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def delivered_exactly_once(stack: Stack) -> tuple[set[str], list[str]]:
    """(referral ids intake holds, problems): each must be delivered and a case exactly once."""
    referrals = intake_rows(stack, "select id, delivered_on from referrals")
    cases = [row[0] for row in console_rows(stack, "select id from cases")]
    problems = [f"{rid} not marked delivered" for rid, delivered in referrals if delivered is None]
    problems += [f"{rid} is {cases.count(rid)} cases" for rid, _ in referrals
                 if cases.count(rid) != 1]
    return {rid for rid, _ in referrals}, problems


def log_of(stack: Stack, name: str) -> str:
    return Path(stack.directory / f"{name}.log").read_text(errors="replace")
