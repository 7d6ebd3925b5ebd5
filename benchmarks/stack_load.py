"""Load on the production-like stack: N simulated people browsing and submitting.

Starts its own stack (stack/: two intake instances and one console under gunicorn, TLS,
PostgreSQL, Redis, production configuration and production Argon2id unless --cheap-argon2),
lets `--people` people loose on it, `--at-once` at a time, each on its own thread: three
pages, the referral (with the proof of work solved as the browser's script would), then back
with the phrase on the other instance. Then one console sync, and the check that every
referral stored was delivered exactly once. Prints figures; stops the stack whatever happens.

Everyone comes from 127.0.0.1 here, so the submit limit per address bucket (100 an hour by
default, a loose outer bound for one building) is raised to 1,000 for the run: in service
200 people come from many addresses. Per-session and everyone limits stay as configured.

Run: .venv/bin/python -m benchmarks.stack_load [--people 200] [--at-once 50] [--cheap-argon2]
     [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--redis-db 6]
Record the figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from stack import load, processes
from stack.deployment import DEFAULT_ADMIN_URL, Stack

LOAD_LIMITS = {
    "LIMIT_SUBMIT": "5 per hour per session;1000 per hour per address;500 per hour for everyone"
}


def count(url: str, query: str) -> int:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(query)).scalar_one())
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--at-once", type=int, default=50)
    parser.add_argument("--cheap-argon2", action="store_true")
    parser.add_argument("--admin-url", default=os.environ.get("STACK_ADMIN_URL",
                                                              DEFAULT_ADMIN_URL))
    parser.add_argument("--redis-db", type=int, default=6)
    options = parser.parse_args()
    stack = Stack(
        Path(tempfile.mkdtemp(prefix="stack-load-")), admin_url=options.admin_url,
        intake_database="stack_load_intake", console_database="stack_load_console",
        redis_db=options.redis_db, intake_ports=(8461, 8462), console_port=8463,
        cheap_argon2=options.cheap_argon2, intake_settings=LOAD_LIMITS,
    )
    try:
        started = time.monotonic()
        stack.start()
        print(f"stack ready in {time.monotonic() - started:.1f} s "
              f"({'test' if options.cheap_argon2 else 'production'} Argon2id, "
              f"{stack.workers} workers per instance)")
        outcome = load.run(options.people, stack.intake_urls,
                           processes.tls_context(stack.directory), options.at_once)
        started = time.monotonic()
        synced = stack.flask("console", "console", "sync")
        sync_seconds = time.monotonic() - started
        intake_url = stack.intake_env["DATABASE_URL"]
        console_url = stack.console_env["CONSOLE_DATABASE_URL"]
        stored = count(intake_url, "select count(*) from referrals")
        undelivered = count(intake_url,
                            "select count(*) from referrals where delivered_on is null")
        cases = count(console_url, "select count(*) from cases")
        distinct = count(console_url, "select count(distinct id) from cases")
        requests = sum(outcome.statuses.values())
        print(f"people: {options.people}, {options.at_once} at once; "
              f"{outcome.seconds:.1f} s; {requests} counted answers "
              f"({requests / outcome.seconds:.1f}/s)")
        print(f"statuses: {dict(sorted(outcome.statuses.items()))}")
        print(f"referrals sent: {len(outcome.phrases)}; found again with the phrase on the "
              f"other instance: {outcome.found_again}")
        if outcome.submit_seconds:
            times = sorted(outcome.submit_seconds)
            print(f"whole referral journey (4 forms + proof of work): median "
                  f"{statistics.median(times):.2f} s, 95th percentile "
                  f"{times[int(len(times) * 0.95) - 1]:.2f} s")
        print(f"intended refusals: {dict(outcome.refused)}")
        print(f"errors: {len(outcome.errors)} {outcome.errors[:5]}")
        print(f"sync: {synced.stdout.strip()} ({sync_seconds:.1f} s, exit {synced.returncode})")
        print(f"at intake {stored} referrals, {undelivered} undelivered; console {cases} cases "
              f"({distinct} distinct)")
        exactly_once = (stored == len(outcome.phrases) == cases == distinct
                        and undelivered == 0)
        print(f"every referral delivered exactly once: {'yes' if exactly_once else 'NO'}")
    finally:
        stack.stop(drop=True)


if __name__ == "__main__":
    main()
