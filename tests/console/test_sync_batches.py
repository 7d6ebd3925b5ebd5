"""The sync confirms each page to intake in one request, through intake's real batch endpoints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from app.console import sync_push
from app.console.intake_client import Answer, IntakeClient, client_from_config
from app.console.sync import SyncSummary, run_sync
from app.extensions import console_db, intake_db
from app.models.console import OutboxItem
from app.models.intake import Message
from tests.two_apps import Linked, linked_fixture  # noqa: F401

BATCHES = sync_push.BATCH_PATHS


@dataclass(frozen=True)
class Recording(IntakeClient):
    """The real client, noting each POST; `before_post` may change intake first."""

    posts: list[str] = field(default_factory=list)
    before_post: Callable[[str], None] = lambda path: None
    old_intake: bool = False  # answers the batch endpoints with its JSON 404, as before them

    def request(self, method: str, path: str, body: str | None = None) -> Answer:
        # The audit head every sync anchors at intake is not a confirmation: not counted.
        if method == "POST" and path != "/audit-heads":
            self.posts.append(path)
            self.before_post(path)
            if self.old_intake and path in BATCHES.values():
                path += "-not-here"
        return super().request(method, path, body)


@pytest.fixture(autouse=True)
def _forget_old_intakes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Which intakes lack batches is remembered per URL, and test servers reuse ports."""
    monkeypatch.setattr(sync_push, "_without_batches", set())


def sync_with(
    linked: Linked, page_size: int | None = None, **options: object
) -> tuple[SyncSummary, list[str]]:
    base = client_from_config(linked.console.config)
    recording = Recording(base.base_url, base.token, **options)  # type: ignore[arg-type]
    with linked.console.app_context():
        return run_sync(recording, page_size), recording.posts


def unsent(linked: Linked) -> list[str]:
    with linked.console.app_context():
        return list(console_db.session.scalars(
            select(OutboxItem.id).where(OutboxItem.sent_at.is_(None))
        ))


def test_each_page_of_referrals_messages_and_withdrawals_is_confirmed_in_one_request(
    linked: Linked,
) -> None:
    ids = [linked.refer() for _ in range(5)]
    summary, posts = sync_with(linked)
    assert (summary.new_cases, summary.errors, posts) == (5, [], [BATCHES["referral"]])
    assert [linked.intake_referral(i).sealed for i in ids] == [None] * 5

    for referral_id in ids[:2]:
        linked.referrer_says(referral_id, "hello")
        linked.referrer_says(referral_id, "again")
    summary, posts = sync_with(linked)
    assert (summary.new_messages, summary.errors, posts) == (4, [], [BATCHES["message"]])
    with linked.intake.app_context():
        held = intake_db.session.scalars(select(Message)).all()
        assert [m.sealed_for_provider for m in held] == [None] * 4

    for referral_id in ids[2:]:
        linked.withdraw(referral_id)
    summary, posts = sync_with(linked)
    assert (summary.withdrawals, summary.errors, posts) == (3, [], [BATCHES["withdrawal"]])
    assert [linked.intake_referral(i).delivered_on for i in ids[2:]] == [None] * 3
    assert unsent(linked) == []


def test_a_backlog_is_confirmed_with_one_request_per_page(linked: Linked) -> None:
    ids = sorted(linked.refer() for _ in range(7))

    summary, posts = sync_with(linked, page_size=3)

    # Pages of 3, 3 and 1: a lone item goes by itself, so an older intake is not asked twice.
    assert (summary.new_cases, summary.errors) == (7, [])
    assert posts == [BATCHES["referral"]] * 2 + [f"/referrals/{ids[-1]}/delivered"]
    assert unsent(linked) == []


def test_against_an_intake_without_batch_endpoints_the_sync_confirms_item_by_item(
    linked: Linked,
) -> None:
    ids = [linked.refer() for _ in range(3)]

    summary, posts = sync_with(linked, old_intake=True)

    assert (summary.new_cases, summary.errors) == (3, [])
    assert posts[0] == BATCHES["referral"]
    assert sorted(posts[1:]) == sorted(f"/referrals/{i}/delivered" for i in ids)
    assert [linked.intake_referral(i).sealed for i in ids] == [None] * 3
    assert unsent(linked) == []
    linked.refer()
    linked.refer()
    _, later = sync_with(linked, old_intake=True)
    assert BATCHES["referral"] not in later  # remembered: not asked again


def test_a_message_the_batch_answer_leaves_out_is_asked_about_on_its_own(linked: Linked) -> None:
    kept, gone = linked.refer(), linked.refer()
    linked.sync()
    for referral_id in (kept, gone):
        linked.referrer_says(referral_id, "a message")

    def withdrawn_meanwhile(path: str) -> None:
        if path == BATCHES["message"]:
            linked.withdraw(gone)  # intake deletes the message before the confirmation lands

    summary, posts = sync_with(linked, before_post=withdrawn_meanwhile)

    assert (summary.new_messages, summary.withdrawals, summary.errors) == (2, 1, [])
    assert posts[0] == BATCHES["message"] and len(posts) == 3
    assert posts[1].startswith("/messages/") and posts[1].endswith("/delivered")
    assert posts[2] == f"/withdrawals/{gone}/acknowledged"
    assert unsent(linked) == []  # the lone ask was a 404: nothing left to confirm
