"""The sync between the provider console and intake's delivery API (DESIGN section 1, G4, G9).

One run: pull new referrals, then referrers' messages, then withdrawals; push the outbox
(replies, workflow events, and any confirmations still owed); audit the run; send one
content-free alert when new cases arrived.

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
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import or_, select, text, tuple_
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.console import alerts, audit, sync_store
from app.console.intake_client import (
    IntakeClient,
    IntakeRefused,
    IntakeUnavailable,
    client_from_config,
)
from app.extensions import console_db as db
from app.models.console import Case, OutboxItem

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 100
POSITION_RETRIES = 3
# pg_advisory_lock key: any fixed 64-bit number that nothing else in the database uses.
ADVISORY_LOCK_KEY = 0x5AFE_5E4C_0000_0001
_process_locks: dict[str, threading.Lock] = {}


@dataclass
class SyncSummary:
    new_cases: int = 0
    new_messages: int = 0
    withdrawals: int = 0
    pushed: int = 0
    errors: list[str] = field(default_factory=list)  # content-free: kinds and statuses only
    skipped: bool = False  # another sync was already running

    def counts(self) -> dict[str, int]:
        return {
            "new_cases": self.new_cases,
            "new_messages": self.new_messages,
            "withdrawals": self.withdrawals,
            "pushed": self.pushed,
            "errors": len(self.errors),
        }

    def describe(self) -> str:
        if self.skipped:
            return "Another sync is already running; nothing was done."
        text_ = (
            f"{_plural(self.new_cases, 'new case')}, {_plural(self.new_messages, 'new message')}, "
            f"{_plural(self.withdrawals, 'withdrawal')}, {_plural(self.pushed, 'update')} "
            "sent to intake."
        )
        if self.errors:
            text_ += f" {_plural(len(self.errors), 'problem')}: " + "; ".join(self.errors[:3])
        return text_


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class _Stop(Exception):
    """Intake or the console database is unavailable: end this run, the next one resumes."""


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
            _pull_referrals(client, summary, size)
            _pull_messages(client, summary, size)
            _pull_withdrawals(client, summary, size)
            _push_outbox(client, summary, size)
        except _Stop:
            pass
        _audit(summary)
    if summary.new_cases:
        alerts.new_referrals_waiting(config, summary.new_cases)
    return summary


def _pages(client: IntakeClient, summary: SyncSummary, path: str, size: int) -> Iterator[list]:
    """Every page of a pull; `next` is the cursor, and confirmed items drop out as we go."""
    after = None
    while True:
        try:
            body = client.get(path, {"after": after, "limit": size}).body
        except (IntakeUnavailable, IntakeRefused) as error:
            summary.errors.append(f"pulling {path.strip('/')}: {error}")
            raise _Stop from None
        items = body.get("items")
        if not isinstance(items, list):
            summary.errors.append(f"pulling {path.strip('/')}: intake sent no item list")
            raise _Stop
        yield [item for item in items if isinstance(item, dict)]
        after = body.get("next")
        if not after:
            return


def _pull_referrals(client: IntakeClient, summary: SyncSummary, size: int) -> None:
    for items in _pages(client, summary, "/referrals", size):
        rows = []
        for item in items:
            try:
                rows.append(sync_store.case_row(item))
            except sync_store.MalformedItem as error:
                summary.errors.append(f"a referral could not be stored ({error})")
        with _database(summary, "storing referrals"):
            summary.new_cases += sync_store.store_cases(rows)
        _confirm(client, summary, "referral", [row["id"] for row in rows])


def _pull_messages(client: IntakeClient, summary: SyncSummary, size: int) -> None:
    for items in _pages(client, summary, "/messages", size):
        with _database(summary, "storing messages"):
            stored, new, problems = _store_messages(items)
        summary.new_messages += new
        summary.errors.extend(problems)
        _confirm(client, summary, "message", stored)


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
    for items in _pages(client, summary, "/withdrawals", size):
        queued, unknown = [], []
        with _database(summary, "storing withdrawals"):
            for item in items:
                try:
                    outcome = sync_store.store_withdrawal(item)
                except sync_store.MalformedItem as error:
                    summary.errors.append(f"a withdrawal could not be stored ({error})")
                    continue
                # A case this console never held has no copy to delete: confirm at once.
                (unknown if outcome is None else queued).append(item["id"])
                summary.withdrawals += bool(outcome)
            db.session.commit()
        _confirm(client, summary, "withdrawal", queued)
        for referral_id in unknown:
            _send(client, summary, "POST", sync_store.ACK_PATHS["withdrawal"].format(referral_id))


def _confirm(client: IntakeClient, summary: SyncSummary, kind: str, intake_ids: list[str]) -> None:
    """Tell intake these items are stored; outbox rows that were answered are marked sent."""
    sent = []
    try:
        for intake_id in intake_ids:
            path = sync_store.ACK_PATHS[kind].format(intake_id)
            if _send(client, summary, "POST", path, ack=True):
                sent.append(sync_store.ack_id(kind, intake_id))
    finally:
        with _database(summary, "recording confirmations"):
            sync_store.mark_sent(sent)


def _send(
    client: IntakeClient, summary: SyncSummary, method: str, path: str, body: str = "",
    ack: bool = False,
) -> bool:
    """One push; True when intake has it. Unavailable stops the run; a refusal is noted."""
    try:
        client.request(method, path, body or None)
    except IntakeUnavailable as error:
        summary.errors.append(f"sending to intake: {error}")
        raise _Stop from None
    except IntakeRefused as error:
        if ack and error.status == 404:
            return True  # intake holds nothing to confirm any more
        summary.errors.append(f"{_kind(path)} not accepted: {error}")
        return False
    return True


def _kind(path: str) -> str:
    if "/replies/" in path:
        return "a reply"
    if "/events/" in path:
        return "a workflow date"
    return "a confirmation"


def _push_outbox(client: IntakeClient, summary: SyncSummary, size: int) -> None:
    """Send every unsent outbox item, oldest first, a page at a time."""
    after: tuple[Any, str] | None = None
    while True:
        with _database(summary, "reading the outbox"):
            page = _outbox_page(after, size)
        if not page:
            return
        for item_id, method, path, body, created_at in page:
            after = (created_at, item_id)
            if _send(client, summary, method, path, body, ack=sync_store.is_ack(item_id)):
                with _database(summary, "recording a sent update"):
                    sync_store.mark_sent([item_id])
                summary.pushed += not sync_store.is_ack(item_id)


def _outbox_page(after: tuple[Any, str] | None, size: int) -> list[tuple]:
    query = (
        select(OutboxItem.id, OutboxItem.method, OutboxItem.path, OutboxItem.body,
               OutboxItem.created_at)
        .join(Case, Case.id == OutboxItem.case_id)
        .where(OutboxItem.sent_at.is_(None))
        # A withdrawn referral takes no more replies or dates; confirmations still go.
        .where(or_(Case.withdrawn_on.is_(None), OutboxItem.id.startswith("ack:")))
        .order_by(OutboxItem.created_at, OutboxItem.id)
        .limit(size)
    )
    if after is not None:
        query = query.where(tuple_(OutboxItem.created_at, OutboxItem.id) > tuple_(*after))
    return [tuple(row) for row in db.session.execute(query)]


@contextmanager
def _database(summary: SyncSummary, doing: str) -> Iterator[None]:
    """A console database failure ends the run; nothing uncommitted was confirmed."""
    try:
        yield
    except SQLAlchemyError as error:
        db.session.rollback()
        summary.errors.append(f"console database error while {doing} ({type(error).__name__})")
        log.error("sync: console database error while %s (%s)", doing, type(error).__name__)
        raise _Stop from None


def _audit(summary: SyncSummary) -> None:
    """Counts only (G8): never an id, a service or anything from a referral."""
    try:
        audit.record(db.session, "sync", "sync", detail=json.dumps(summary.counts()))
    except SQLAlchemyError as error:
        db.session.rollback()
        log.error("sync: could not audit the run (%s)", type(error).__name__)
    for problem in summary.errors:
        log.warning("sync: %s", problem)

