"""Faults on the running stack: a worker killed mid-submit, Redis out of reach."""

from __future__ import annotations

import os
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor

from stack import processes
from stack.deployment import Stack
from stack.people import Refused
from tests.stack.conftest import (
    delivered_exactly_once,
    free_port,
    intake_rows,
    log_of,
    person,
    sync,
)

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
