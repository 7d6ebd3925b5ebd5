"""The sync between the provider console and intake's delivery API (DESIGN section 1, G4, G9).

One run: pull new referrals, then referrers' messages, then withdrawals; push the outbox
(replies, workflow dates, and any confirmations still owed); send the audit chain's head to
intake (G8); audit the run; send one content-free alert when new cases arrived.

Nothing is trusted because intake's database says it (threat 1): an impossible date (a
withdrawal before the referral or after today, a referral from the future) is refused, and
each refusal is audited and shown on the sync page (G9).

At-least-once and idempotent (G9): every pulled item is inserted-or-ignored and COMMITTED
before intake is told it was delivered (only then does intake delete its sealed copy), and
the confirmation itself waits in the outbox until intake has answered it. A run that breaks
anywhere is simply repeated: the next run stores nothing twice and loses nothing.
The sync never decrypts (it has no key); it moves sealed blobs and dates only.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.console import alerts, audit, key_watch, provider_keys, sla, sync_store
from app.console.intake_client import (
    IntakeClient,
    IntakeRefused,
    IntakeUnavailable,
    client_from_config,
)
from app.console.sync_push import confirm, push_outbox
from app.console.sync_summary import Refusal, Stop, SyncSummary, database
from app.extensions import console_db as db

__all__ = ["SyncSummary", "run_sync", "sync_lock"]
log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 100
POSITION_RETRIES = 3
# pg_advisory_lock key: any fixed 64-bit number that nothing else in the database uses.
ADVISORY_LOCK_KEY = 0x5AFE_5E4C_0000_0001
_process_locks: dict[str, threading.Lock] = {}


@contextmanager
def sync_lock() -> Iterator[bool]:
    """True when this run may go ahead; False when another run holds the lock.

    A process lock for runs in one process (the button and a timer thread), and on
    PostgreSQL a session advisory lock for runs on other hosts. On SQLite the database's own
    write lock serialises the inserts; the insert-or-ignore design keeps them correct anyway.
    """
    engine = db.engine
    lock = _process_locks.setdefault(str(engine.url), threading.Lock())
    if not lock.acquire(blocking=False):
        yield False
        return
    try:
        if engine.dialect.name != "postgresql":
            yield True
            return
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            got = conn.scalar(text("select pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
            try:
                yield bool(got)
            finally:
                if got:
                    conn.execute(text("select pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
    finally:
        lock.release()


def run_sync(client: IntakeClient | None = None, page_size: int | None = None) -> SyncSummary:
    """One whole sync run, in the console app's context."""
    config = current_app.config
    client = client or client_from_config(config)
    size = page_size or int(config.get("SYNC_PAGE_SIZE", DEFAULT_PAGE_SIZE))
    with sync_lock() as acquired:
        if not acquired:
            return SyncSummary(skipped=True)
        summary = SyncSummary()
        try:
            # First: intake must be sealing to this provider's signed keys (G2).
            key_watch.check_key_set(client, summary)
            _pull_referrals(client, summary, size)
            _pull_messages(client, summary, size)
            _pull_withdrawals(client, summary, size)
            push_outbox(client, summary, size)
            _anchor_audit_head(client, summary)
        except Stop:
            pass
        _audit(summary)
    if summary.new_cases:
        alerts.new_referrals_waiting(config, summary.new_cases)
    return summary


def _pages(client: IntakeClient, summary: SyncSummary, path: str, size: int) -> Iterator[list]:
    """Every page of a pull. Confirmed items drop out of intake's list; `next` is the cursor."""
    after = None
    while True:
        try:
            body = client.get(path, {"after": after, "limit": size}).body
        except (IntakeUnavailable, IntakeRefused) as error:
            summary.errors.append(f"pulling {path.strip('/')}: {error}")
            raise Stop from None
        items = body.get("items")
        if not isinstance(items, list):
            summary.errors.append(f"pulling {path.strip('/')}: intake sent no item list")
            raise Stop
        yield [item for item in items if isinstance(item, dict)]
        after = body.get("next")
        if not after:
            return


def _refuse(summary: SyncSummary, refused: sync_store.Refused) -> None:
    """Stage the refusal's audit entry (committed with the page) and count it. The log line
    names no case: logs leave the console's host, the audit log does not."""
    summary.refused.append(Refusal(refused.case_id, refused.kind, refused.reason))
    audit.append(
        db.session, "sync", "sync_refused", f"case:{refused.case_id}",
        f"{refused.kind}: {refused.reason}",
    )
    log.warning("sync: refused a %s from intake (%s)", refused.kind, refused.reason)


def _pull_referrals(client: IntakeClient, summary: SyncSummary, size: int) -> None:
    today = sla.today()
    own_keys = provider_keys.provider_key_ids()
    for items in _pages(client, summary, "/referrals", size):
        rows = []
        refused = []
        foreign = 0
        for item in items:
            try:
                row = sync_store.case_row(item)
            except sync_store.MalformedItem as error:
                summary.errors.append(f"a referral could not be stored ({error})")
                continue
            if key_watch.foreign(row["sealed"], own_keys):
                # Sealed to someone else's key: never stored or opened, never confirmed.
                foreign += 1
                continue
            if row["received_on"] > today:
                # Kept, since a referral must never be lost (G9), but not under a date that
                # has not happened: it would also let an impossible withdrawal through.
                row["received_on"] = today
                refused.append(sync_store.Refused(
                    row["id"], "referral date", "dated after today; recorded as received today"
                ))
            rows.append(row)
        with database(summary, "storing referrals"):
            for refusal in refused:
                _refuse(summary, refusal)
            summary.new_cases += sync_store.store_cases(rows)
            if foreign:
                key_watch.alarm(
                    summary, f"{foreign} referral(s) sealed to a key that is not this provider's"
                )
        confirm(client, summary, "referral", [row["id"] for row in rows])


def _pull_messages(client: IntakeClient, summary: SyncSummary, size: int) -> None:
    for items in _pages(client, summary, "/messages", size):
        with database(summary, "storing messages"):
            stored, new, problems = _store_messages(items)
        summary.new_messages += new
        summary.errors.extend(problems)
        confirm(client, summary, "message", stored)


def _store_messages(items: list[dict]) -> tuple[list[str], int, list[str]]:
    """Store a page of messages in one transaction: (stored ids, how many new, problems)."""
    for attempt in range(1, POSITION_RETRIES + 1):
        try:
            outcome = sync_store.store_messages(items)
            db.session.commit()
            return outcome
        except IntegrityError:
            # Another writer took the same position first: redo the page (it is idempotent).
            db.session.rollback()
            if attempt == POSITION_RETRIES:
                raise
    raise AssertionError("unreachable")


def _pull_withdrawals(client: IntakeClient, summary: SyncSummary, size: int) -> None:
    today = sla.today()
    for items in _pages(client, summary, "/withdrawals", size):
        stored = []
        with database(summary, "storing withdrawals"):
            for item in items:
                try:
                    outcome = sync_store.store_withdrawal(item, today)
                except sync_store.MalformedItem as error:
                    summary.errors.append(f"a withdrawal could not be stored ({error})")
                    continue
                except sync_store.Refused as refused:
                    # Acknowledged all the same (its outbox row is staged): intake stops
                    # offering it, and the refusal is on the record once.
                    _refuse(summary, refused)
                    stored.append(item["id"])
                    continue
                # A case this console never held has nothing to record (and no outbox row):
                # it is acknowledged with the rest, straight away.
                stored.append(item["id"])
                summary.withdrawals += bool(outcome)
            db.session.commit()
        confirm(client, summary, "withdrawal", stored)


def _anchor_audit_head(client: IntakeClient, summary: SyncSummary) -> None:
    """Send the audit chain's head to intake, which keeps every head append-only (G8), so
    `flask console verify-audit` can later show a log rewritten or cut short since."""
    with database(summary, "reading the audit log"):
        head = audit.head(db.session)
    if head is None:
        return
    try:
        client.post("/audit-heads", {"seq": head.seq, "mac": head.mac})
    except IntakeUnavailable as error:
        summary.errors.append(f"sending the audit head: {error}")
        raise Stop from None
    except IntakeRefused as error:
        # 409: intake holds a later or different head, so this log went back. Say so loudly.
        summary.errors.append(
            f"intake refused the audit head ({error.status} {error.code}): "
            "run flask console verify-audit"
        )


def _audit(summary: SyncSummary) -> None:
    """Counts only (G8): never an id, a service or anything from a referral."""
    try:
        audit.record(db.session, "sync", "sync", detail=json.dumps(summary.counts()))
    except SQLAlchemyError as error:
        db.session.rollback()
        log.error("sync: could not audit the run (%s)", type(error).__name__)
    for problem in summary.errors:
        log.warning("sync: %s", problem)
