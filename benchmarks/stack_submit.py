"""What one submit costs on the production-like stack, and where the time goes.

Starts its own stack (stack/: two intake instances and one console under gunicorn, TLS,
PostgreSQL, Redis, production configuration and production Argon2id), then one person after
another, never two at once, makes the shortest referral on intake instance 1. Timed from the
client: the POST of the check page, which is the submit (proof-of-work check, Argon2id for the
phrase, sealing, the database insert, the session and the redirect), over HTTPS. The proof of
work is solved before the clock starts, as the browser solves it while the person reads.

Then, in this process against the same PostgreSQL server and with the same Argon2id
parameters, `benchmarks.submit_cost` splits a submit into its parts; the difference is what
the web stack adds (TLS, gunicorn, Flask, the session, the proof-of-work check, limits).

Run: .venv/bin/python -m benchmarks.stack_submit [--referrals 30]
Record the figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stack import processes
from stack.deployment import DEFAULT_ADMIN_URL, Stack
from stack.people import CHALLENGE, CSRF, Person, Refused, minimal_answers, solve


def timed_submit(person: Person, marker: str) -> float:
    """The shortest referral; returns the seconds the submitting POST took."""
    for slug, data in minimal_answers(marker).items():
        answer = person.fill_and_post(f"/referral/{slug}", data)
        if answer.status != 303:
            raise Refused(f"POST /referral/{slug}", answer)
    page = person.get("/referral/check")
    token, challenge = CSRF.search(page.body), CHALLENGE.search(page.body)
    if page.status != 200 or token is None:
        raise Refused("GET /referral/check", page)
    fields = {"csrf_token": token.group(1)}
    if challenge:
        fields |= {"proof_challenge": challenge.group(1),
                   "proof": solve(challenge.group(1), int(challenge.group(2)))}
    started = time.perf_counter()
    answer = person.post("/referral/check", fields)
    took = time.perf_counter() - started
    if answer.status != 303 or not answer.location.endswith("/referral/sent"):
        raise Refused("POST /referral/check", answer)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=30)
    parser.add_argument("--admin-url", default=os.environ.get("STACK_ADMIN_URL",
                                                              DEFAULT_ADMIN_URL))
    parser.add_argument("--redis-db", type=int, default=10)
    options = parser.parse_args()
    stack = Stack(
        Path(tempfile.mkdtemp(prefix="stack-submit-")), admin_url=options.admin_url,
        intake_database="stack_submit_intake", console_database="stack_submit_console",
        redis_db=options.redis_db, intake_ports=(8471, 8472), console_port=8473,
    )
    try:
        stack.start()
        context = processes.tls_context(stack.directory)
        url = stack.intake_urls[0]
        Person(url, context).get("/")  # each worker's first request warms its caches
        took = [timed_submit(Person(url, context), f"Bench {n}")
                for n in range(options.referrals)]
        print(f"stack: 2 intake instances x {stack.workers} gunicorn workers, TLS, "
              "PostgreSQL, Redis, production Argon2id; load average "
              f"{os.getloadavg()[0]:.1f}")
        print(f"submit over HTTPS (POST /referral/check), {len(took)} referrals one at a time: "
              f"median {statistics.median(took) * 1000:.1f} ms, "
              f"min {min(took) * 1000:.1f} ms, max {max(took) * 1000:.1f} ms")
    finally:
        stack.stop(drop=True)
    # The split, on the same PostgreSQL server (its own database: submit_cost rebuilds it).
    server = options.admin_url.rsplit("/", 1)[0]
    split = subprocess.run(  # the project's own benchmark, with this interpreter
        [sys.executable, "-m", "benchmarks.submit_cost", "--runs", "100",
         "--database-url", f"{server}/test"],
        capture_output=True, text=True, check=True,
    )
    print("in process, same PostgreSQL server and Argon2id parameters (benchmarks.submit_cost), "
          f"load average {os.getloadavg()[0]:.1f}:")
    print(split.stdout, end="")


if __name__ == "__main__":
    main()
