"""G9 for delivery: a sync broken at any point, or two syncs at once, neither lose nor
duplicate a case or a message, and intake deletes its sealed copy only once the console
has committed its own.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import event, func, select

from app.console import sync
from app.console.intake_client import (
    Answer,
    IntakeClient,
    IntakeUnavailable,
    client_from_config,
)
from app.console.sync import run_sync
from app.extensions import console_db
from app.models.console import CaseMessage, OutboxItem
from tests.two_apps import Linked, linked_fixture  # noqa: F401

DEAD = "http://127.0.0.1:9/api/v1"  # nothing listens on the discard port


class IntakeGoesAway(IntakeClient):
    """Every request after the first `pulls` GETs meets a closed port (a real failure). The
    key-set check that opens every sync (G2) still gets through."""

    pulls = 1

    def request(self, method: str, path: str, body: str | None = None) -> Answer:
        if path == "/key-set":
            return super().request(method, path, body)
        if method == "GET" and self.pulls > 0:
            object.__setattr__(self, "pulls", self.pulls - 1)
            return super().request(method, path, body)
        return IntakeClient(DEAD, self.token, timeout=2).request(method, path, body)


class AnswerLost(IntakeClient):
    """Confirmations reach intake and are processed, but the answers never come back."""

    def request(self, method: str, path: str, body: str | None = None) -> Answer:
        answer = super().request(method, path, body)
        if method == "POST" and path.endswith("/delivered"):
            raise IntakeUnavailable("the connection dropped before the answer arrived")
        return answer


class Recording(IntakeClient):
    def request(self, method: str, path: str, body: str | None = None) -> Answer:
        SENT.append((method, path))
        return super().request(method, path, body)


SENT: list[tuple[str, str]] = []


def _client(linked: Linked, kind: type[IntakeClient]) -> IntakeClient:
    base = client_from_config(linked.console.config)
    return kind(base.base_url, base.token)


def _sync_with(linked: Linked, client: IntakeClient) -> sync.SyncSummary:
    with linked.console.app_context():
        return run_sync(client)


def _sealed_at_intake(linked: Linked, ids: list[str]) -> list[bool]:
    return [linked.intake_referral(i).sealed is not None for i in ids]


def test_a_sync_broken_after_storing_but_before_confirming_loses_and_duplicates_nothing(
    linked: Linked,
) -> None:
    ids = [linked.refer() for _ in range(3)]

    broken = _sync_with(linked, _client(linked, IntakeGoesAway))

    assert broken.new_cases == 3 and "could not be reached" in broken.errors[0]
    assert _sealed_at_intake(linked, ids) == [True] * 3  # intake was never told
    again = linked.sync()
    assert (again.new_cases, again.errors) == (0, [])
    assert linked.counts() == (3, 0)
    assert _sealed_at_intake(linked, ids) == [False] * 3


def test_a_lost_answer_to_a_confirmation_is_repeated_from_the_outbox(linked: Linked) -> None:
    ids = [linked.refer() for _ in range(2)]

    broken = _sync_with(linked, _client(linked, AnswerLost))

    assert broken.new_cases == 2 and broken.errors
    # Intake processed the page's one batch confirmation and the run stopped there...
    assert _sealed_at_intake(linked, ids) == [False, False]
    with linked.console.app_context():
        unsent = console_db.session.scalars(
            select(OutboxItem.id).where(OutboxItem.sent_at.is_(None))
        ).all()
        assert len(unsent) == 2  # ...but the console could not know it had
    again = linked.sync()
    assert (again.new_cases, again.errors) == (0, [])
    assert linked.counts() == (2, 0)
    with linked.console.app_context():
        assert console_db.session.scalar(
            select(func.count()).select_from(OutboxItem).where(OutboxItem.sent_at.is_(None))
        ) == 0


@contextlib.contextmanager
def console_write_fails_once(linked: Linked, table: str, at: str) -> Iterator[list[str]]:
    """The first INSERT into `table` (or the COMMIT after it) fails like a database would."""
    with linked.console.app_context():
        engine = console_db.engine
    tripped: list[str] = []
    armed = {"insert": False}

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()}") and not tripped:
            if at == "insert":
                tripped.append(at)
                raise sa.exc.OperationalError(statement, {}, Exception("disk I/O error"))
            armed["insert"] = True

    def on_commit(conn):
        if armed["insert"] and not tripped:
            tripped.append(at)
            raise sa.exc.OperationalError("COMMIT", {}, Exception("disk I/O error"))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "commit", on_commit)
    try:
        yield tripped
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "commit", on_commit)


@pytest.mark.parametrize("at", ["insert", "commit"])
def test_when_the_console_cannot_store_a_referral_intake_is_not_told_and_keeps_it(
    linked: Linked, at: str
) -> None:
    ids = [linked.refer() for _ in range(2)]
    SENT.clear()

    with console_write_fails_once(linked, "cases", at) as tripped:
        broken = _sync_with(linked, _client(linked, Recording))

    assert tripped == [at]
    assert broken.new_cases == 0 and "console database error" in broken.errors[0]
    # The key-set check, then one pull; no confirmation was sent.
    assert [m for m, path in SENT if path != "/key-set"] == ["GET"]
    assert _sealed_at_intake(linked, ids) == [True, True]
    assert linked.counts() == (0, 0)
    again = linked.sync()
    assert (again.new_cases, again.errors) == (2, [])
    assert linked.counts() == (2, 0)
    assert _sealed_at_intake(linked, ids) == [False, False]


def test_when_the_console_cannot_store_a_message_intake_keeps_it_until_the_next_sync(
    linked: Linked,
) -> None:
    referral_id = linked.refer()
    linked.sync()
    linked.referrer_says(referral_id, "kept safe")

    with console_write_fails_once(linked, "case_messages", "insert"):
        broken = linked.sync()

    assert broken.new_messages == 0 and broken.errors
    assert linked.counts() == (1, 0)
    assert linked.sync().new_messages == 1
    assert linked.counts() == (1, 1)


def _both_at_once(linked: Linked) -> list[sync.SyncSummary]:
    start = threading.Barrier(2)
    results: list[sync.SyncSummary] = []

    def one() -> None:
        with linked.console.app_context():
            start.wait()
            results.append(run_sync(page_size=4))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 2, "a sync thread failed"
    return results


@pytest.mark.parametrize("lock", ["with the lock", "without the lock"])
def test_two_syncs_at_once_store_every_case_and_message_exactly_once(
    linked: Linked, monkeypatch: pytest.MonkeyPatch, lock: str
) -> None:
    if lock == "without the lock":
        # The inserts must be safe by themselves, e.g. for two hosts sharing SQLite.
        monkeypatch.setattr(sync, "sync_lock", lambda: contextlib.nullcontext(True))
    ids = [linked.refer() for _ in range(30)]
    first = _both_at_once(linked)
    assert sum(s.new_cases for s in first) == 30
    for n, referral_id in enumerate(ids[:10]):
        for m in range(3):
            linked.referrer_says(referral_id, f"message {n}.{m}")

    second = _both_at_once(linked)

    assert sum(s.new_messages for s in second) == 30
    assert linked.counts() == (30, 30)
    with linked.console.app_context():
        positions = console_db.session.execute(
            select(CaseMessage.case_id, func.count(), func.count(CaseMessage.position.distinct()),
                   func.max(CaseMessage.position))
            .group_by(CaseMessage.case_id)
        ).all()
        assert all(total == distinct == top == 3 for _, total, distinct, top in positions)
    assert _sealed_at_intake(linked, ids) == [False] * 30
    assert all(not s.errors for s in first + second)
