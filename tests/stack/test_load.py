"""A bounded version of benchmarks/stack_load.py: 30 people at once on both instances."""

from __future__ import annotations

from stack import load, processes
from stack.deployment import Stack
from tests.stack.conftest import delivered_exactly_once, intake_rows, sync


def test_thirty_people_browsing_and_submitting_meet_no_errors_and_each_referral_arrives_once(
    stack: Stack,
):
    sync(stack)
    before = intake_rows(stack, "select count(*) from referrals")[0][0]
    outcome = load.run(30, stack.intake_urls, processes.tls_context(stack.directory), 15)
    assert outcome.errors == []
    assert set(outcome.statuses) <= {200, 303, *load.INTENDED}
    stored = intake_rows(stack, "select count(*) from referrals")[0][0] - before
    assert stored == len(outcome.phrases) > 0
    assert outcome.found_again + sum(outcome.refused.values()) >= len(outcome.phrases)
    sync(stack)
    _, problems = delivered_exactly_once(stack)
    assert problems == []
