"""Faults on the running stack: a worker killed mid-submit, Redis out of reach, PostgreSQL
restarted under load, the console killed mid-sync."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_intake_app
from app.intake import referrals
from crypto.keyfile import TEST_PARAMS
from stack import processes
from stack.deployment import Stack
from stack.people import Answer, Person, Refused
from tests.stack.conftest import (
    POSTGRES,
    console_rows,
    delivered_exactly_once,
    free_port,
    intake_rows,
    log_of,
    person,
    sync,
)
from tests.stack.private_servers import PrivatePostgres, PrivateRedis

ADDRESS = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")


def _refer(stack: Stack, number: int) -> str | None:
    """A referral on instance 1; None when the connection or a page failed under the kill."""
    try:
        return person(stack, 0).refer(f"Kill {number}")
    except (Refused, OSError):
        return None


def test_killing_a_worker_mid_submit_leaves_no_half_stored_referral(stack: Stack):
    master = stack.pids["intake-1"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        sending = [pool.submit(_refer, stack, number) for number in range(16)]
        for _ in range(2):  # twice, while submits are in flight on both workers
            time.sleep(1.0)
            victims = processes.workers_of(master)
            assert victims
            os.kill(victims[0], signal.SIGKILL)
        phrases = [future.result() for future in sending]
    print(f"{phrases.count(None)} of {len(phrases)} people saw their submit fail")
    # gunicorn's master replaces the worker; the instance serves again.
    processes.wait_ready(stack.intake_urls[0], processes.tls_context(stack.directory), master)
    half = intake_rows(
        stack,
        "select id from referrals where delivered_on is null and (sealed is null "
        "or lookup_id is null or referrer_public_key is null)",
    )
    assert half == []
    # Whoever was shown a phrase can use it; everything stored is delivered exactly once.
    for phrase in filter(None, phrases):
        assert person(stack, 1).return_with(phrase).status == 303
    sync(stack)
    _, problems = delivered_exactly_once(stack)
    assert problems == []


def test_with_redis_out_of_reach_the_service_serves_limits_fall_back_and_the_log_has_no_address(
    stack: Stack,
):
    closed = free_port()  # nothing listens there
    url = stack.start_intake("intake-no-redis", free_port(),
                             REDIS_URL=f"redis://127.0.0.1:{closed}/0")
    try:
        context = processes.tls_context(stack.directory)
        processes.wait_ready(url, context, stack.pids["intake-no-redis"])
        someone = person(stack, 0)
        someone.base_url = url
        assert someone.get("/").status == 200
        phrase = someone.refer("No Redis")
        assert person(stack, 1).return_with(phrase).status == 303
        # Each of the instance's 2 workers keeps LIMIT_PHRASE_LOOKUP (10 per session) in
        # memory: a 429 comes within 2 x 10 + 1 tries, however requests are spread.
        wrong = " ".join(reversed(phrase.split()))
        statuses: list[int] = []
        while 429 not in statuses and len(statuses) <= 2 * 10:
            statuses.append(someone.return_with(wrong).status)
        assert statuses[-1] == 429 and set(statuses[:-1]) == {200}
    finally:
        stack.stop_instance("intake-no-redis")
    log = log_of(stack, "intake-no-redis")
    assert "falling back to in-memory storage" in log
    served = [line for line in log.splitlines() if "Listening at" not in line]
    assert not [line for line in served if ADDRESS.search(line)]


class Watched(Person):
    """A person whose every answer is kept, in order, with what was asked."""

    def __init__(self, base_url: str, directory: Path, answers: list[tuple[str, Answer]]):
        super().__init__(base_url, processes.tls_context(directory), timeout=30)
        self.answers = answers

    def _open(self, request: urllib.request.Request) -> Answer:
        answer = super()._open(request)
        path = urllib.parse.urlsplit(request.full_url).path
        self.answers.append((f"{request.get_method()} {path}", answer))
        return answer


def clear_unavailable_page(answer: Answer) -> bool:
    """The service's own 503: plain words, when to come back, nothing of the machinery."""
    return (
        answer.status == 503
        and "Sorry, the service is unavailable" in answer.body
        and "Nothing you entered has been stored" in answer.body
        and answer.retry_after is not None and answer.retry_after.isdigit()
        and "Traceback" not in answer.body and "psycopg" not in answer.body.lower()
    )


@pytest.fixture
def stack_on_its_own_postgres(tmp_path: Path) -> Iterator[tuple[Stack, PrivatePostgres]]:
    """A whole stack on a PostgreSQL cluster and a Redis of its own, so the test may stop
    its database: the shared server on 5432 is everyone's."""
    if not POSTGRES:
        pytest.skip("the stack runs on PostgreSQL: set TEST_DATABASE_URL (as .ci/run does)")
    with PrivatePostgres(free_port()) as postgres, PrivateRedis(free_port()) as own_redis:
        running = Stack(
            tmp_path / "stack", admin_url=postgres.admin_url, redis_host=own_redis.host,
            redis_db=0, intake_ports=(free_port(), free_port()), console_port=free_port(),
            cheap_argon2=True,
            intake_settings={"LIMIT_SUBMIT": "5 per hour per session;1000 per hour per address"},
        )
        try:
            running.start()
            yield running, postgres
        finally:
            running.stop(drop=False)  # the cluster goes with its directory


def test_postgres_restarted_under_load_shows_clear_503_pages_and_loses_no_referral(
    stack_on_its_own_postgres: tuple[Stack, PrivatePostgres],
):
    stack, postgres = stack_on_its_own_postgres
    answers: list[tuple[str, Answer]] = []
    # (phase the journey ended in, its phrase or the answer that stopped it)
    journeys: list[tuple[str, str | Answer]] = []
    phase = ["up"]
    done = threading.Event()

    def keep_referring(number: int) -> None:
        while not done.is_set():
            someone = Watched(stack.intake_urls[number % 2], stack.directory, answers)
            try:
                journeys.append((phase[0], someone.refer(f"Restart {number}")))
            except Refused as refusal:
                journeys.append((phase[0], refusal.answer))
                time.sleep(0.5)  # as a person would, before trying again

    with ThreadPoolExecutor(max_workers=6) as pool:
        running = [pool.submit(keep_referring, number) for number in range(6)]
        time.sleep(5)
        phase[0] = "down"
        postgres.stop("immediate")  # as a crash would: no goodbye to the connections
        time.sleep(8)
        postgres.start()
        phase[0] = "back"
        time.sleep(10)
        done.set()
        for thread in running:
            thread.result(timeout=300)  # a hung answer times out (30 s) and fails here

    unclear = [(asked, answer.status, answer.body[-300:]) for asked, answer in answers
               if answer.status not in (200, 303) and not clear_unavailable_page(answer)]
    assert unclear == []
    phrases = [end for _, end in journeys if isinstance(end, str)]
    stopped = [end for _, end in journeys if not isinstance(end, str)]
    # Every journey ends with a phrase or on the 503 page, never somewhere in between.
    assert [(end.status, end.body[-300:]) for end in stopped if end.status != 503] == []
    assert stopped, "the database was stopped, yet nobody saw a 503 page"
    assert [p for when, p in journeys if when == "back" and isinstance(p, str)], (
        "no referral succeeded once the database was back"
    )
    # Once back: whoever was shown a phrase can use it, and nothing is half-stored.
    half = intake_rows(
        stack,
        "select id from referrals where sealed is null or lookup_id is null "
        "or referrer_public_key is null",
    )
    assert half == []
    stored = intake_rows(stack, "select count(*) from referrals")[0][0]
    assert stored >= len(phrases)
    for phrase in phrases:
        assert person(stack, 1).return_with(phrase).status == 303
    print(f"{len(phrases)} referrals sent, {len(stopped)} journeys stopped at a 503 page, "
          f"{stored} stored")


def seal_at_intake(stack: Stack, count: int) -> None:
    """`count` referrals sealed and stored as the intake's submit does, with the stack's own
    settings (pepper, pin, database), without a browser: the web journey would take minutes."""
    provider, fingerprint = stack.intake_env["PINNED_PROVIDER_KEYS"].split("=", 1)
    intake = create_intake_app({
        "SQLALCHEMY_DATABASE_URI": stack.intake_env["DATABASE_URL"],
        "PINNED_PROVIDER_KEYS": {provider: fingerprint},
    })
    pepper = stack.intake_env["REFERENCE_PEPPER"].encode()
    with intake.app_context():
        for number in range(count):
            answers = {"service": "idva", "name": f"Bulk {number}",
                       "contact_method": "phrase_only", "consent": "y"}
            referrals.submit(answers, pepper, TEST_PARAMS)
        intake.extensions["sqlalchemy"].engine.dispose()


def test_the_console_killed_mid_sync_loses_and_duplicates_nothing(stack: Stack):
    sync(stack)  # start from nothing waiting
    waiting_before = intake_rows(stack, "select count(*) from referrals where delivered_on is null")
    assert waiting_before == [(0,)]
    cases_before = console_rows(stack, "select count(*) from cases")[0][0]
    count = 1500  # about 5 s of sync on a quiet 2-core machine, 100 to a page
    seal_at_intake(stack, count)
    run = subprocess.Popen(  # the real command, as the provider's timer starts it
        [str(Path(sys.executable).parent / "flask"), "--app", "app:create_console_app",
         "console", "sync"],
        cwd=processes.ROOT, env=stack.console_env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        stored = 0
        while stored < 200 and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            stored = console_rows(stack, "select count(*) from cases")[0][0] - cases_before
        os.killpg(run.pid, signal.SIGKILL)
    finally:
        run.kill()  # no-op once killed; never left running if the test failed above
        run.communicate(timeout=30)
    assert run.returncode == -signal.SIGKILL, "the sync ended before it could be killed"
    stored = console_rows(stack, "select count(*) from cases")[0][0] - cases_before
    print(f"killed after {stored} of {count} referrals were stored at the console")
    assert 0 < stored < count  # mid-sync: some pages stored, not all

    # The next run (the timer's) finishes the job; its lock was not left held by the dead one.
    # It stores only what the dead run had not, and each case once.
    assert f"{count - stored} new cases" in sync(stack)
    ids, problems = delivered_exactly_once(stack)
    assert len(ids) >= count and problems == []
    # Intake keeps no sealed copy of anything delivered, and the console owes it nothing.
    assert intake_rows(stack, "select count(*) from referrals where sealed is not null") == [(0,)]
    unsent = console_rows(stack, "select count(*) from outbox where sent_at is null")
    assert unsent == [(0,)]
    locks = console_rows(stack, "select count(*) from pg_locks where locktype = 'advisory'")
    assert locks == [(0,)]


def test_a_request_held_up_past_the_statement_bound_gets_the_503_page_not_a_killed_worker(
    stack: Stack,
):
    """Under gunicorn intake bounds each statement at 20 s (app/config.py), under gunicorn's
    30 s worker timeout: a page stuck behind a lock ends on the service's 503 page rather than
    a dropped connection from a killed worker, and the database stops the statement."""
    engine = sa.create_engine(stack.intake_env["DATABASE_URL"], poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as holder:
            # What the start page reads (the open services), locked as a long migration would.
            holder.execute(sa.text("lock table service_routes in access exclusive mode"))
            started = time.monotonic()
            answer = person(stack, 0).get("/")
            waited = time.monotonic() - started
            holder.rollback()
    finally:
        engine.dispose()
    assert clear_unavailable_page(answer), (answer.status, answer.body[-300:])
    assert 15 < waited < 30, waited
    assert "database unavailable (QueryCanceled); answered 503" in log_of(stack, "intake-1")
    assert person(stack, 0).get("/").status == 200  # and it serves at once afterwards
