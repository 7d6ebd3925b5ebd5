"""Simulated people browsing and submitting against the stack, each on its own thread.

A person opens the start page and two information pages, walks the referral, sends it, and
comes back with the reference phrase on the other instance. Every answer is counted by its
status; anything but the journey's own answers and the intended 429 (a limit) or 503 (a
cost slot full, or the service closed) is an error.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from stack.people import Person, Refused

PAGES = ("/", "/privacy", "/referral/service")
INTENDED = {429, 503}


@dataclass
class Outcome:
    statuses: Counter[int] = field(default_factory=Counter)
    phrases: list[str] = field(default_factory=list)
    found_again: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # intended 429/503, by step
    errors: list[str] = field(default_factory=list)
    submit_seconds: list[float] = field(default_factory=list)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def one_person(number: int, urls: list[str], context: ssl.SSLContext, outcome: Outcome) -> None:
    there, back = urls[number % len(urls)], urls[(number + 1) % len(urls)]
    person = Person(there, context)
    try:
        for page in PAGES:
            answer = person.get(page)
            with outcome.lock:
                outcome.statuses[answer.status] += 1
            if answer.status != 200:
                raise Refused(f"GET {page}", answer)
        started = time.monotonic()
        phrase = person.refer(f"Load {number}")
        took = time.monotonic() - started
        with outcome.lock:
            outcome.phrases.append(phrase)
            outcome.submit_seconds.append(took)
        person.base_url = back  # the load balancer may send them to the other instance
        found = person.return_with(phrase)
        with outcome.lock:
            outcome.statuses[found.status] += 1
            if found.status == 303 and found.location.endswith("/status"):
                outcome.found_again += 1
            elif found.status in INTENDED:
                outcome.refused[f"return {found.status}"] += 1
            else:
                outcome.errors.append(f"return with phrase: {found.status}")
    except Refused as refusal:
        with outcome.lock:
            outcome.statuses[refusal.answer.status] += 1
            if refusal.answer.status in INTENDED:
                outcome.refused[f"{refusal} "] += 1
            else:
                outcome.errors.append(str(refusal))
    except OSError as error:  # a reset or timeout: never intended
        with outcome.lock:
            outcome.errors.append(f"{type(error).__name__}: {error}")


def run(people: int, urls: list[str], context: ssl.SSLContext, at_once: int = 50) -> Outcome:
    """`people` people, `at_once` of them active at any moment, spread over `urls`."""
    outcome = Outcome()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        for number in range(people):
            pool.submit(one_person, number, urls, context, outcome)
    outcome.seconds = time.monotonic() - started
    return outcome
