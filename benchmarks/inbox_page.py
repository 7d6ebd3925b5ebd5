"""Time of one inbox page with 10,000 cases in the console database (target: under 100 ms).

Run: .venv/bin/python -m benchmarks.inbox_page [--database-url URL] [--cases N] [--requests N]
Without --database-url it uses a temporary SQLite file. A PostgreSQL database given with
--database-url must hold no console tables yet; the benchmark creates them and drops them after.

The inbox never decrypts, so one sealed referral is reused for every case: filling the
database takes seconds, not the minutes that sealing 10,000 referrals would.
Each request is a full GET through the app (sign-in check, grant check, split session,
queries, template) with a signed-in advisor; the figure printed is the median.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import insert, inspect

from app import create_console_app
from app.extensions import console_db
from app.models.base import random_id
from app.models.console import Advisor, Case, KeyGrant, RecipientKeyRecord
from app.questionnaire import journey
from crypto.custody import (
    grant_recipient_key,
    new_advisor_key,
    new_recovery_key,
    wrap_for_recovery,
)
from crypto.envelope import seal_record
from crypto.keyfile import TEST_PARAMS
from crypto.keys import PrivateKey, PublicKey
from tests.console.conftest import Staff, console_settings, sign_in_as

PAGES = {
    "new cases, first page": "/",
    "open cases, page 20": "/?status=open&page=20",
    "closed IDVA cases, page 3": "/?status=closed&service=idva&page=3",
    "new cases assigned to me": "/?assigned=mine",
}


def make_staff(app: Flask) -> tuple[Staff, list[str]]:
    """A recipient key, a signed-in advisor granted it, and a few colleagues to assign to."""
    recipient = PrivateKey.generate()
    console_db.session.add(RecipientKeyRecord(
        key_id=recipient.public_key.key_id, generation=1,
        public_key=recipient.public_key.to_bytes(),
        recovery_blob=wrap_for_recovery(recipient, new_recovery_key())))
    people = []
    for n in range(6):
        advisor = Advisor(email=f"advisor{n}@provider.test", name=f"Advisor {n}")
        console_db.session.add(advisor)
        console_db.session.flush()
        people.append(advisor.id)
    private, _ = new_advisor_key("benchmark password", people[0], TEST_PARAMS)
    console_db.session.add(KeyGrant(
        advisor_id=people[0], key_id=recipient.public_key.key_id, granted_by="benchmark",
        sealed_key=grant_recipient_key(recipient, private.public_key, people[0])))
    console_db.session.commit()
    return Staff(people[0], "advisor0@provider.test", private), people


def fill(app: Flask, count: int, people: list[str]) -> float:
    """Bulk-insert `count` cases with a spread of statuses, services, dates and assignees."""
    record = console_db.session.scalars(console_db.select(RecipientKeyRecord)).one()
    blob = seal_record("referral", "benchmark", dict.fromkeys(journey.SEALED_FIELDS, "x" * 20),
                       PublicKey.from_bytes(record.public_key))
    rng = random.Random(1732)
    start = time.perf_counter()
    rows = []
    for _ in range(count):
        received = date(2023, 1, 2) + timedelta(days=rng.randrange(3 * 365))
        status = rng.choices(("new", "open", "closed"), (2, 3, 5))[0]
        rows.append({
            "id": random_id(), "source": rng.choice(("online", "online", "phone", "email")),
            "service": rng.choice(("idva", "isva", "not_sure")), "received_on": received,
            "status": status, "assigned_to": rng.choice([None, *people]), "sealed": blob,
            "urgent": rng.choice((None, True, False)),
            "acknowledged_on": received + timedelta(days=1) if status != "new" else None,
            "closed_on": received + timedelta(days=30) if status == "closed" else None,
        })
    for offset in range(0, count, 2000):
        console_db.session.execute(insert(Case), rows[offset:offset + 2000])
    console_db.session.commit()
    return time.perf_counter() - start


def time_pages(app: Flask, staff: Staff, requests: int) -> dict[str, list[float]]:
    client = sign_in_as(app.test_client(), staff)
    timings: dict[str, list[float]] = {}
    for label, url in PAGES.items():
        for _ in range(3):  # warm up: template compilation, holiday calendars, connections
            assert client.get(url).status_code == 200
        runs = []
        for _ in range(requests):
            start = time.perf_counter()
            response = client.get(url)
            runs.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.status_code
        timings[label] = runs
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/console.sqlite"
        app = create_console_app(console_settings(url))
        with app.app_context():
            if inspect(console_db.engine).get_table_names():
                raise SystemExit("That database already has tables: give an empty one.")
            console_db.create_all()
            try:
                staff, people = make_staff(app)
                seconds = fill(app, args.cases, people)
                print(f"{console_db.engine.url.get_backend_name()}: inserted {args.cases} cases"
                      f" in {seconds:.1f} s")
                for label, runs in time_pages(app, staff, args.requests).items():
                    runs.sort()
                    p95 = runs[int(len(runs) * 0.95) - 1]
                    print(f"  {label:<28} median {statistics.median(runs):6.1f} ms"
                          f"   p95 {p95:6.1f} ms   ({len(runs)} requests)")
            finally:
                console_db.session.remove()
                console_db.drop_all()


if __name__ == "__main__":
    main()
