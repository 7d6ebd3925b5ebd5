"""The sync pulls sealed referrals, messages and withdrawals from intake over real HTTP."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from app.console import retention
from app.console.intake_client import Answer, IntakeClient, client_from_config
from app.console.sync import run_sync
from app.extensions import console_db, intake_db
from app.models.console import AuditEntry, Case, CaseMessage, OutboxItem
from app.models.intake import Message
from crypto.envelope import open_envelope, open_record
from tests.two_apps import Linked, linked_fixture  # noqa: F401


def test_a_sync_stores_each_new_referral_as_a_sealed_case_and_intake_deletes_its_copy(
    linked: Linked,
) -> None:
    ids = [linked.refer(f"marker {n}", service) for n, service in enumerate(["idva", "isva"])]

    summary = linked.sync()

    assert (summary.new_cases, summary.errors) == (2, [])
    for n, referral_id in enumerate(ids):
        case = linked.case(referral_id)
        assert case is not None
        assert (case.source, case.status, case.service) == ("online", "new", ["idva", "isva"][n])
        fields = open_record("referral", case.id, case.sealed, linked.keys.recipient)
        assert fields["account"] == f"marker {n}"
        at_intake = linked.intake_referral(referral_id)
        assert at_intake.sealed is None
        assert at_intake.status == "delivered"
        # The reply key comes from inside the envelope, never from intake's clear column.
        assert case.referrer_public_key is None
        binding = open_envelope("referral", case.id, case.sealed, linked.keys.recipient).referrer
        assert binding is not None
        assert binding.public_key.to_bytes() == at_intake.referrer_public_key


def test_a_second_sync_finds_nothing_new_and_changes_nothing(linked: Linked) -> None:
    linked.refer("once")
    linked.sync()

    again = linked.sync()

    assert (again.new_cases, again.new_messages, again.pushed, again.errors) == (0, 0, 0, [])
    assert linked.counts() == (1, 0)


def _thread(linked: Linked, case_id: str) -> list[tuple[int, str, str]]:
    """(position, author, opened body) of a case's messages in the console."""
    with linked.console.app_context():
        messages = console_db.session.scalars(
            select(CaseMessage).where(CaseMessage.case_id == case_id)
            .order_by(CaseMessage.position)
        ).all()
        return [
            (m.position, m.author,
             open_record("message", m.id, m.sealed, linked.keys.recipient)["body"])
            for m in messages
        ]


def test_referrer_messages_are_filed_under_their_case_and_confirmed(linked: Linked) -> None:
    referral_id = linked.refer()
    linked.sync()
    linked.referrer_says(referral_id, "first message")
    linked.referrer_says(referral_id, "second message")

    summary = linked.sync()

    assert (summary.new_messages, summary.errors) == (2, [])
    thread = _thread(linked, referral_id)
    assert [(p, a) for p, a, _ in thread] == [(1, "referrer"), (2, "referrer")]
    assert {body for _, _, body in thread} == {"first message", "second message"}
    with linked.intake.app_context():
        held = intake_db.session.scalars(select(Message)).all()
        assert all(m.sealed_for_provider is None and m.delivered_on for m in held)
        assert all(m.sealed_for_referrer for m in held)  # the referrer keeps their own copy


def test_messages_from_different_days_are_filed_oldest_first(linked: Linked) -> None:
    referral_id = linked.refer()
    linked.sync()
    for body in ("later", "earlier", "earliest"):
        linked.referrer_says(referral_id, body)
    with linked.intake.app_context():
        for message in intake_db.session.scalars(select(Message)):
            # Sent in the order later, earlier, earliest: date them the other way round.
            days_ago = message.position - 1
            message.sent_on = date.today() - timedelta(days=days_ago)
        intake_db.session.commit()

    linked.sync(page_size=3)

    assert [body for _, _, body in _thread(linked, referral_id)] == [
        "earliest", "earlier", "later"
    ]


def test_messages_from_the_same_day_are_filed_in_the_order_they_were_sent(
    linked: Linked,
) -> None:
    referral_id = linked.refer()
    linked.sync()
    bodies = [f"message {n}" for n in range(6)]
    for body in bodies:
        linked.referrer_says(referral_id, body)
    client = client_from_config(linked.console.config)
    assert "position" in client.get("/messages").body["items"][0]  # orders same-day messages

    linked.sync()

    assert [body for _, _, body in _thread(linked, referral_id)] == bodies


def test_a_message_sent_before_its_referral_was_synced_arrives_after_it(linked: Linked) -> None:
    referral_id = linked.refer()
    linked.referrer_says(referral_id, "sent straight away")

    summary = linked.sync()

    assert (summary.new_cases, summary.new_messages) == (1, 1)
    assert linked.counts() == (1, 1)


def test_a_withdrawal_marks_the_case_withdrawn_and_is_acknowledged(linked: Linked) -> None:
    kept, withdrawn = linked.refer(), linked.refer()
    linked.sync()
    linked.withdraw(withdrawn)

    summary = linked.sync()
    held = linked.case(withdrawn)
    assert held is not None and held.withdrawn_on is None  # the sync holds no key to check it
    assert linked.settle() == 1

    assert (summary.withdrawals, summary.errors) == (1, [])
    case = linked.case(withdrawn)
    assert case is not None and case.withdrawn_on is not None
    assert linked.case(kept).withdrawn_on is None  # type: ignore[union-attr]
    assert linked.intake_referral(withdrawn).delivered_on is None  # no longer pending
    assert linked.sync().withdrawals == 0


def test_a_withdrawn_case_is_kept_for_advisors_and_then_purged_like_a_closed_one(
    linked: Linked,
) -> None:
    linked.console.config["RETENTION_DAYS_AFTER_CLOSE"] = 30
    referral_id = linked.refer("kept until the purge")
    linked.sync()
    linked.withdraw(referral_id)

    linked.sync()
    linked.settle()

    case = linked.case(referral_id)
    assert case is not None and case.sealed  # not deleted: advisors still see the case
    assert case.withdrawn_on == date.today()
    assert case.purge_after == date.today() + timedelta(days=30)
    with linked.console.app_context():
        assert retention.purge_expired(console_db.session, date.today() + timedelta(30)) == 0
        assert retention.purge_expired(console_db.session, date.today() + timedelta(31)) == 1
    assert linked.case(referral_id) is None


def test_a_case_closed_before_its_withdrawal_keeps_the_purge_date_its_closing_set(
    linked: Linked,
) -> None:
    referral_id = linked.refer()
    linked.sync()
    closing_purge = date.today() + timedelta(days=2190)
    with linked.console.app_context():
        case = console_db.session.get(Case, referral_id)
        assert case is not None
        case.status, case.purge_after = "closed", closing_purge
        console_db.session.commit()
    linked.withdraw(referral_id)

    assert linked.sync().withdrawals == 1
    linked.settle()

    case = linked.case(referral_id)
    assert case is not None
    assert (case.withdrawn_on, case.purge_after) == (date.today(), closing_purge)


def test_a_referral_withdrawn_before_any_sync_never_reaches_the_console(linked: Linked) -> None:
    gone = linked.refer()
    linked.withdraw(gone)

    summary = linked.sync()

    assert (summary.new_cases, summary.withdrawals, summary.errors) == (0, 0, [])
    assert linked.case(gone) is None


def test_every_run_is_audited_by_the_sync_with_counts_only(linked: Linked) -> None:
    linked.refer("audited marker")
    linked.sync()
    linked.sync()

    with linked.console.app_context():
        runs = console_db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "sync").order_by(AuditEntry.seq)
        ).all()
        assert [(e.actor, e.subject) for e in runs] == [("sync", ""), ("sync", "")]
        assert json.loads(runs[0].detail) == {
            "new_cases": 1, "new_messages": 0, "withdrawals": 0, "pushed": 0, "errors": 0,
            "refused": 0, "key_alarms": 0,
        }
        assert json.loads(runs[1].detail)["new_cases"] == 0


def test_confirmations_wait_in_the_outbox_only_until_intake_answers_them(linked: Linked) -> None:
    referral_id = linked.refer()
    linked.sync()

    with linked.console.app_context():
        item = console_db.session.get(OutboxItem, f"ack:referral:{referral_id}")
        assert item is not None and item.sent_at is not None


def test_with_intake_unreachable_a_sync_reports_it_stores_nothing_and_still_audits(
    linked: Linked,
) -> None:
    linked.refer()
    linked.console.config["INTAKE_API_URL"] = "http://127.0.0.1:9/api/v1"

    summary = linked.sync()

    assert summary.new_cases == 0
    assert len(summary.errors) == 1 and "could not be reached" in summary.errors[0]
    assert linked.counts() == (0, 0)
    with linked.console.app_context():
        assert console_db.session.scalars(select(AuditEntry)).one().action == "sync"


def test_a_revoked_or_missing_token_is_reported_plainly(linked: Linked) -> None:
    linked.refer()
    token = linked.console.config["INTAKE_API_TOKEN"]
    linked.console.config["INTAKE_API_TOKEN"] = token[:-4] + "AAAA"
    assert "401 unauthorised" in linked.sync().errors[0]
    linked.console.config["INTAKE_API_TOKEN"] = ""
    assert "INTAKE_API_TOKEN is not set" in linked.sync().errors[0]
    assert linked.counts() == (0, 0)


def test_a_large_backlog_is_pulled_page_by_page(linked: Linked) -> None:
    ids = {linked.refer() for _ in range(7)}

    summary = linked.sync(page_size=2)

    assert summary.new_cases == 7
    with linked.console.app_context():
        assert set(console_db.session.scalars(select(Case.id))) == ids


class Doctored(IntakeClient):
    """Intake's real answers, with one referral item broken on the way."""

    def request(self, method: str, path: str, body: str | None = None) -> Answer:
        answer = super().request(method, path, body)
        if method == "GET" and path.startswith("/referrals") and answer.body["items"]:
            del answer.body["items"][0]["received_on"]
        return answer


def test_an_item_the_console_cannot_store_is_reported_and_left_at_intake(linked: Linked) -> None:
    ids = [linked.refer(), linked.refer()]
    base = client_from_config(linked.console.config)

    with linked.console.app_context():
        summary = run_sync(Doctored(base.base_url, base.token))

    assert summary.new_cases == 1
    assert summary.errors == ["a referral could not be stored (received_on is not a date)"]
    still_sealed = [linked.intake_referral(i).sealed is not None for i in ids]
    assert sorted(still_sealed) == [False, True]  # the broken one was not confirmed
    assert linked.sync().new_cases == 1
    assert linked.counts() == (2, 0)
