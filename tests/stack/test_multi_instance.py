"""Two intake instances behind one name share everything that matters: referrals, phrases,
limits; and two console syncs at once deliver each referral exactly once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from stack.deployment import Stack
from tests.stack.conftest import delivered_exactly_once, intake_rows, person, sync


def test_a_referral_sent_on_one_instance_is_found_with_its_phrase_on_the_other(stack: Stack):
    phrase = person(stack, 0).refer("Alex")
    answer = person(stack, 1).return_with(phrase)
    assert (answer.status, answer.location) == (303, "/status")


def test_the_phrase_lookup_limit_holds_across_both_instances(stack: Stack):
    phrase = person(stack, 0).refer("Sam")
    wrong = " ".join(reversed(phrase.split()))
    someone = person(stack, 0)
    statuses = []
    for attempt in range(11):  # LIMIT_PHRASE_LOOKUP: 10 per hour per session
        someone.base_url = stack.intake_urls[attempt % 2]
        statuses.append(someone.return_with(wrong).status)
    assert statuses == [200] * 10 + [429]


def test_two_console_syncs_at_once_deliver_every_referral_exactly_once(stack: Stack):
    for number in range(6):
        person(stack, number % 2).refer(f"Sync {number}")
    waiting = intake_rows(stack, "select count(*) from referrals where delivered_on is null")
    assert waiting[0][0] >= 6
    flask = str(Path(sys.executable).parent / "flask")
    runs = [
        subprocess.Popen(
            [flask, "--app", "app:create_console_app", "console", "sync"],
            cwd=Path(__file__).resolve().parents[2], env=stack.console_env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-2000:] for _, err in outputs]
    sync(stack)  # a run that found the other holding the lock leaves the rest to the next
    ids, problems = delivered_exactly_once(stack)
    assert ids and problems == []
