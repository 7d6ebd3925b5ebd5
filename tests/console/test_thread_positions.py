"""A case's thread has one message per place: replies and the sync's filing never collide."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.console import casework, origin_checks, sync
from app.extensions import console_db
from app.models.base import random_id
from app.models.console import Advisor, AuditEntry, Case, CaseMessage, OutboxItem
from crypto.keys import PrivateKey
from tests.console.case_factory import add_message, make_case
from tests.console.conftest import ProviderKeys, Staff

TODAY = date.today()


@pytest.fixture
def case_id(console_app: Flask, provider_keys: ProviderKeys) -> str:
    referrer = PrivateKey.generate()
    return make_case(console_app, provider_keys.recipient.public_key, referrer=referrer)


def reply(app: Flask, staff: Staff, case_id: str, keys: ProviderKeys, text: str) -> int:
    """Send a reply as the case page does; its place in the thread."""
    with app.app_context():
        case = console_db.session.get(Case, case_id)
        advisor = console_db.session.get(Advisor, staff.id)
        assert case is not None and advisor is not None
        binding = origin_checks.binding_of(case, {keys.recipient.public_key.key_id: keys.recipient})
        assert binding is not None
        message = casework.send_reply(
            console_db.session, advisor, case, text, keys.recipient.public_key, TODAY, binding
        )
        return message.position


def thread(app: Flask, case_id: str) -> list[tuple[int, str]]:
    with app.app_context():
        return [tuple(row) for row in console_db.session.execute(
            select(CaseMessage.position, CaseMessage.author)
            .where(CaseMessage.case_id == case_id).order_by(CaseMessage.position)
        )]


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return console_db.session.scalar(select(func.count()).select_from(model)) or 0


def test_the_database_refuses_two_messages_at_one_place_in_a_thread(
    console_app: Flask, provider_keys: ProviderKeys, case_id: str
) -> None:
    add_message(console_app, provider_keys.recipient.public_key, case_id, "first", position=1)
    with pytest.raises(IntegrityError):
        add_message(console_app, provider_keys.recipient.public_key, case_id, "also first",
                    position=1)


def stale_once(monkeypatch: pytest.MonkeyPatch, times: int = 1) -> list[int]:
    """next_position answers 1 the first `times` calls, as if a writer that ignores the case
    lock had just filed a message there; then the truth."""
    real, calls = casework.next_position, []

    def racing(session: object, case_id: str) -> int:
        calls.append(1)
        return 1 if len(calls) <= times else real(session, case_id)  # type: ignore[arg-type]

    monkeypatch.setattr(casework, "next_position", racing)
    return calls


def test_a_reply_that_loses_the_race_for_its_place_takes_the_next_one(
    console_app: Flask, provider_keys: ProviderKeys, case_id: str,
    make_advisor: Callable[..., Staff], monkeypatch: pytest.MonkeyPatch,
) -> None:
    staff = make_advisor()
    add_message(console_app, provider_keys.recipient.public_key, case_id, "filed by the sync")
    calls = stale_once(monkeypatch)

    position = reply(console_app, staff, case_id, provider_keys, "We can talk on Tuesday")

    assert len(calls) == 2 and position == 2
    assert thread(console_app, case_id) == [(1, "referrer"), (2, "advisor")]
    assert count(console_app, OutboxItem) == 1
    with console_app.app_context():
        actions = console_db.session.scalars(select(AuditEntry.action)).all()
        assert actions.count("send_reply") == 1


def test_a_reply_that_loses_the_race_twice_is_refused_and_nothing_is_half_stored(
    console_app: Flask, provider_keys: ProviderKeys, case_id: str,
    make_advisor: Callable[..., Staff], monkeypatch: pytest.MonkeyPatch,
) -> None:
    staff = make_advisor()
    add_message(console_app, provider_keys.recipient.public_key, case_id, "filed by the sync")
    stale_once(monkeypatch, times=2)

    with pytest.raises(IntegrityError):
        reply(console_app, staff, case_id, provider_keys, "Lost twice")

    assert thread(console_app, case_id) == [(1, "referrer")]
    assert count(console_app, OutboxItem) == 0


def test_replies_and_a_sync_filing_messages_at_the_same_time_never_share_a_place(
    console_app: Flask, provider_keys: ProviderKeys, case_id: str,
    make_advisor: Callable[..., Staff],
) -> None:
    staff = make_advisor()
    rounds, start, failures = 8, threading.Barrier(2), []

    def advisor_replies() -> None:
        start.wait()
        for n in range(rounds):
            reply(console_app, staff, case_id, provider_keys, f"reply {n}")

    def sync_files() -> None:
        with console_app.app_context():
            start.wait()
            for _ in range(rounds):
                item = {"id": random_id(), "referral_id": case_id, "sent_on": TODAY.isoformat(),
                        "sealed": base64.b64encode(b"sealed").decode()}
                sync._store_messages([item])

    def guarded(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                work()
            except Exception as error:  # reported by the assertion below
                failures.append(repr(error))
        return run

    threads = [threading.Thread(target=guarded(w)) for w in (advisor_replies, sync_files)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert failures == []
    places = thread(console_app, case_id)
    assert [p for p, _ in places] == list(range(1, 2 * rounds + 1))
    assert sorted(a for _, a in places) == ["advisor"] * rounds + ["referrer"] * rounds
