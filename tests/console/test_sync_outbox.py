"""The sync pushes the outbox: sealed replies and content-free workflow dates reach intake."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.console import cases, casework
from app.console.intake_client import Answer, IntakeClient, client_from_config
from app.extensions import console_db, intake_db
from app.models.console import Advisor, Case, OutboxItem
from app.models.intake import Message
from tests.console.conftest import Staff
from tests.referrer import Referrer
from tests.two_apps import Linked, linked_fixture  # noqa: F401


class Recording(IntakeClient):
    """The real client, also noting each request's method and path."""

    def request(self, method: str, path: str, body: str | None = None) -> Answer:
        self.sent.append((method, path))  # type: ignore[attr-defined]
        return super().request(method, path, body)


def recording(linked: Linked) -> Recording:
    base = client_from_config(linked.console.config)
    client = Recording(base.base_url, base.token)
    object.__setattr__(client, "sent", [])
    return client


def _case_and_advisor(linked: Linked, staff: Staff) -> tuple[Case, Advisor]:
    case = console_db.session.scalars(select(Case)).one()
    advisor = console_db.session.get(Advisor, staff.id)
    assert advisor is not None
    return case, advisor


def _status_page(referrer: Referrer, phrase: str) -> str:
    referrer.client.get("/sign-out")
    assert referrer.sign_in(phrase).status_code == 303
    return referrer.client.get("/status").get_data(as_text=True)


def test_a_reply_and_workflow_dates_reach_the_referrer_through_intake(
    linked: Linked, make_advisor: Callable[..., Staff]
) -> None:
    staff = make_advisor()
    referrer = Referrer(linked.intake.test_client())
    phrase = referrer.refer()
    linked.sync()
    assert "Received" in _status_page(referrer, phrase)

    with linked.console.app_context():
        case, advisor = _case_and_advisor(linked, staff)
        recipient = linked.keys.recipient.public_key
        casework.send_reply(console_db.session, advisor, case, "Reply marker 4471", recipient,
                            date.today(), linked.referrer_of(case))
        cases.record_event(console_db.session, advisor, case, "acknowledged", date.today())
    summary = linked.sync()

    assert (summary.pushed, summary.errors) == (2, [])
    page = _status_page(referrer, phrase)
    assert "Reply marker 4471" in page and "With an advisor" in page

    with linked.console.app_context():
        case, advisor = _case_and_advisor(linked, staff)
        cases.record_event(console_db.session, advisor, case, "contact_made", date.today())
        cases.record_event(console_db.session, advisor, case, "closed", date.today(),
                           "support_completed")
        case_id = case.id
    assert linked.sync().pushed == 2
    assert "Closed" in _status_page(referrer, phrase)
    at_intake = linked.intake_referral(case_id)
    assert (at_intake.status, at_intake.closure_reason) == ("closed", "support_completed")
    assert at_intake.contact_made_on == date.today()


def test_pushing_the_same_reply_again_stores_it_once_at_intake(
    linked: Linked, make_advisor: Callable[..., Staff]
) -> None:
    staff = make_advisor()
    linked.refer()
    linked.sync()
    with linked.console.app_context():
        case, advisor = _case_and_advisor(linked, staff)
        casework.send_reply(console_db.session, advisor, case, "once", linked.keys.recipient
                            .public_key, date.today(), linked.referrer_of(case))
    linked.sync()
    with linked.console.app_context():
        for item in console_db.session.scalars(select(OutboxItem)):
            item.sent_at = None  # as if every answer had been lost on the way back
        console_db.session.commit()

    again = linked.sync()

    assert (again.pushed, again.errors) == (1, [])
    with linked.intake.app_context():
        replies = intake_db.session.scalars(select(Message).where(Message.author == "advisor"))
        assert len(replies.all()) == 1


def test_a_refused_update_is_reported_kept_for_later_and_does_not_block_the_rest(
    linked: Linked, make_advisor: Callable[..., Staff]
) -> None:
    staff = make_advisor()
    linked.refer()
    linked.sync()
    with linked.console.app_context():
        case, advisor = _case_and_advisor(linked, staff)
        tomorrow = date.today() + timedelta(days=1)
        cases.record_event(console_db.session, advisor, case, "first_contact_attempted", tomorrow)
        cases.record_event(console_db.session, advisor, case, "acknowledged", date.today())
        case_id = case.id

    summary = linked.sync()

    assert summary.pushed == 1
    assert len(summary.errors) == 1
    assert "a workflow date not accepted" in summary.errors[0] and "422" in summary.errors[0]
    with linked.console.app_context():
        refused = console_db.session.get(OutboxItem, f"event:{case_id}:first_contact_attempted")
        assert refused is not None and refused.sent_at is None
    assert linked.intake_referral(case_id).acknowledged_on == date.today()


def test_updates_for_a_case_the_referrer_withdrew_are_not_sent(
    linked: Linked, make_advisor: Callable[..., Staff]
) -> None:
    staff = make_advisor()
    referral_id = linked.refer()
    linked.sync()
    with linked.console.app_context():
        case, advisor = _case_and_advisor(linked, staff)
        cases.record_event(console_db.session, advisor, case, "acknowledged", date.today())
    linked.withdraw(referral_id)

    summary = linked.sync()

    assert (summary.withdrawals, summary.pushed, summary.errors) == (1, 0, [])
    assert linked.intake_referral(referral_id).acknowledged_on is None


def test_the_outbox_goes_oldest_first_and_only_what_is_unsent(
    linked: Linked, make_advisor: Callable[..., Staff]
) -> None:
    staff = make_advisor()
    linked.refer()
    linked.sync()
    with linked.console.app_context():
        case, advisor = _case_and_advisor(linked, staff)
        for event in ("acknowledged", "first_contact_attempted", "contact_made"):
            cases.record_event(console_db.session, advisor, case, event, date.today())
        client = recording(linked)
        from app.console.sync import run_sync

        run_sync(client)
        again = recording(linked)
        run_sync(again)

    puts = [path.rsplit("/", 1)[-1] for method, path in client.sent if method == "PUT"]
    assert puts == ["acknowledged", "first_contact_attempted", "contact_made"]
    # Only the audit head goes again: it travels with every sync (G8).
    assert [(m, p) for m, p in again.sent if m != "GET"] in ([], [("POST", "/audit-heads")])


@pytest.mark.parametrize("event", ["acknowledged"])
def test_a_changed_date_is_sent_again(
    linked: Linked, make_advisor: Callable[..., Staff], event: str
) -> None:
    staff = make_advisor()
    linked.refer()
    linked.sync()
    yesterday = date.today() - timedelta(days=1)
    with linked.console.app_context():
        case, advisor = _case_and_advisor(linked, staff)
        case.received_on = yesterday
        console_db.session.commit()
        cases.record_event(console_db.session, advisor, case, event, date.today())
    linked.sync()
    with linked.console.app_context():
        case, advisor = _case_and_advisor(linked, staff)
        cases.record_event(console_db.session, advisor, case, event, date.today())
    assert linked.sync().pushed == 1
