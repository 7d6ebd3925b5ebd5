"""Sync throughput: 10,000 sealed referrals from intake to opened cases in the console.

Intake gets N referrals sealed to a fresh recipient key (bulk inserted, not timed) and is
served over real HTTP on 127.0.0.1. Timed: one console sync of all of them (pull + store +
confirm, split by where the time goes) and then opening every case with the key, as an
advisor's screen would. Target: at least 1,000 referrals per second end to end.

Confirmations go through intake's batch endpoints, one request per page; --item-by-item
confirms each referral with its own request instead, as against an intake without them.

Run: .venv/bin/python -m benchmarks.sync_throughput [--count N] [--page-size N]
     [--item-by-item] [--legacy] [--database-url URL --console-database-url URL]
     (PostgreSQL: two separate databases). Record the figures in docs/benchmarks.md.
Each app gets production's engine options (app/config.py `engine_options`): on PostgreSQL
the connect bounds, and intake, serving requests here, its web statement bound too.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from collections import defaultdict
from datetime import date

from sqlalchemy import insert, select

from app import create_console_app, create_intake_app
from app.api import tokens
from app.config import engine_options
from app.console import key_watch, sync_push
from app.console.intake_client import Answer, IntakeClient
from app.console.sync import SyncSummary, run_sync
from app.extensions import console_db, intake_db
from app.models.base import random_id
from app.models.console import Case, KeySetRecord, RecipientKeyRecord, SigningKeyRecord
from app.models.intake import Recipient, RecipientKey, Referral, ServiceRoute
from benchmarks.submit_cost import TYPICAL
from crypto.envelope import ReferrerBinding, open_record, seal_record
from crypto.key_set import sign_key_set, verify_key_set
from crypto.keys import PrivateKey
from crypto.signing import SigningKey
from tests.two_apps import serving


class Timed(IntakeClient):
    """The real client, adding up the wall time of each kind of request."""

    def request(self, method: str, path: str, body: str | None = None) -> Answer:
        start = time.perf_counter()
        try:
            return super().request(method, path, body)
        finally:
            SPENT[method] += time.perf_counter() - start
            CALLS[method] += 1


SPENT: dict[str, float] = defaultdict(float)
SIGNER = SigningKey.generate()
CALLS: dict[str, int] = defaultdict(int)


def fill_intake(
    url: str, key: PrivateKey, count: int, key_set: bytes, legacy: bool = False
) -> tuple[object, str]:
    app = create_intake_app({
        "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url, web_process=True),
    })
    app.config["PINNED_PROVIDER_KEYS"] = {"Benchmark provider": SIGNER.verify_key.fingerprint}
    with app.app_context():
        intake_db.drop_all()
        intake_db.create_all()
        owner = Recipient(name="Benchmark provider", key_set=key_set)
        intake_db.session.add(owner)
        intake_db.session.flush()
        public = key.public_key
        intake_db.session.add(RecipientKey(key_id=public.key_id, recipient_id=owner.id,
                                           generation=1, public_key=public.to_bytes(),
                                           fingerprint=public.fingerprint))
        for service in ("idva", "isva", "not_sure"):
            intake_db.session.add(ServiceRoute(service=service, recipient_id=owner.id))
        intake_db.session.commit()
        referrer = PrivateKey.generate().public_key
        # Version 2, as the form seals: the referrer's reply key and auth key inside.
        binding = None if legacy else ReferrerBinding(referrer, secrets.token_bytes(32))
        for start in range(0, count, 1000):
            rows = []
            for _ in range(min(1000, count - start)):
                referral_id = random_id()
                rows.append({
                    "id": referral_id, "service": "idva", "recipient_id": owner.id,
                    "status": "received", "received_on": date.today(),
                    "sealed": seal_record("referral", referral_id, TYPICAL, public,
                                          referrer=binding),
                    "lookup_id": random_id() * 2, "referrer_public_key": referrer.to_bytes(),
                })
            intake_db.session.execute(insert(Referral), rows)
            intake_db.session.commit()
        token = tokens.issue("Benchmark provider")
    return app, token


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--database-url", help="intake database (default: a new SQLite file)")
    parser.add_argument("--console-database-url", help="console database (default: SQLite)")
    parser.add_argument("--item-by-item", action="store_true", help="no batch confirmations")
    parser.add_argument("--legacy", action="store_true",
                        help="version 1 envelopes (no referrer binding): the baseline")
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    intake_url = args.database_url or f"sqlite:///{folder}/intake.sqlite"
    console_url = args.console_database_url or f"sqlite:///{folder}/console.sqlite"

    key = PrivateKey.generate()
    blob = sign_key_set(SIGNER, provider="Benchmark provider", sequence=1, issued=date.today(),
                        public_keys=[key.public_key])
    print(f"sealing {args.count} referrals into intake ({intake_url.split(':')[0]})...")
    intake, token = fill_intake(intake_url, key, args.count, blob, args.legacy)
    console = create_console_app({
        "SQLALCHEMY_DATABASE_URI": console_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(console_url, web_process=False),
    })
    with console.app_context():
        console_db.drop_all()
        console_db.create_all()
        # The console's own keys (app/console/provider_keys.py): what each sync compares.
        console_db.session.add(RecipientKeyRecord(
            key_id=key.key_id, generation=1, public_key=key.public_key.to_bytes(),
            recovery_blob=b"-"))
        console_db.session.add(SigningKeyRecord(
            key_id=SIGNER.verify_key.key_id, verify_key=SIGNER.verify_key.to_bytes(),
            recovery_blob=b"-"))
        digest = verify_key_set(blob, SIGNER.verify_key.fingerprint).digest
        console_db.session.add(KeySetRecord(sequence=1, blob=blob, digest=digest,
                                            issued_on=date.today(), delivered_on=date.today()))
        console_db.session.commit()

    with serving(intake) as base, console.app_context():  # type: ignore[arg-type]
        client = Timed(f"{base}/api/v1", token)
        if args.item_by_item:
            sync_push._without_batches.add(client.base_url)
        start = time.perf_counter()
        summary = run_sync(client, page_size=args.page_size)
        synced = time.perf_counter() - start
        assert summary.new_cases == args.count and not summary.errors, summary.describe()
        # The key set check each sync starts with (GET /key-set, verify, compare), alone.
        checks = []
        for _ in range(20):
            start = time.perf_counter()
            key_watch.check_key_set(client, SyncSummary())
            checks.append(time.perf_counter() - start)
        check = statistics.median(checks)

        start = time.perf_counter()
        keys = {key.key_id: key}
        opened = 0
        for sealed_id, sealed in console_db.session.execute(select(Case.id, Case.sealed)):
            opened += bool(open_record("referral", sealed_id, sealed, keys))
        opening = time.perf_counter() - start
        assert opened == args.count

    with intake.app_context():  # type: ignore[attr-defined]
        left = intake_db.session.scalar(
            select(Referral.id).where(Referral.sealed.is_not(None)).limit(1)
        )
        assert left is None, "intake still holds sealed referrals after the sync"
        intake_db.session.remove()
        intake_db.drop_all()
    with console.app_context():
        console_db.session.remove()
        console_db.drop_all()

    pull, ack = SPENT["GET"], SPENT["POST"]
    store = synced - pull - ack
    total = synced + opening
    print(f"console database: {console_url.split(':')[0]}; page size {args.page_size}")
    print(f"pull   {pull:7.2f} s  ({CALLS['GET']} GET requests)")
    print(f"store  {store:7.2f} s  (inserts, commits, outbox bookkeeping, audit)")
    print(f"ack    {ack:7.2f} s  ({CALLS['POST']} POST requests)")
    print(f"open   {opening:7.2f} s  (open_record of every case)")
    print(f"keys   {check * 1000:7.2f} ms per sync (GET /key-set, verify, compare), "
          "plus one key id check per referral, inside store")
    print(f"sync   {synced:7.2f} s  = {args.count / synced:,.0f} referrals/s")
    print(f"total  {total:7.2f} s  = {args.count / total:,.0f} referrals/s end to end "
          f"(target >= 1,000/s)")


if __name__ == "__main__":
    main()
