"""The urgency flag reaches intake with the acknowledgement, once an advisor knows it.

Sync cannot read a referral, so a case's urgency is learnt when an advisor first opens it.
The acknowledgement carries it when known; a case acknowledged before anyone opened it sends
the acknowledgement again, with the flag, when it is first opened.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest

from app.console import cases
from app.extensions import console_db
from app.models.console import Advisor, Case, OutboxItem, utcnow
from tests.console.case_factory import Today, date_fields, make_case, post_form
from tests.console.conftest import Staff
from tests.two_apps import Linked, linked_fixture  # noqa: F401

RECEIVED = date(2023, 12, 22)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Today:
    today = Today(monkeypatch)
    today.set(date(2024, 1, 10))
    return today


def acknowledge(client, case_id: str) -> None:
    page = f"/cases/{case_id}/progress"
    response = post_form(client, page, {"event": "acknowledged",
                                        **date_fields("on", date(2023, 12, 27))})
    assert response.status_code == 303


def queued(app, case_id: str, event: str = "acknowledged") -> OutboxItem | None:
    with app.app_context():
        item = console_db.session.get(OutboxItem, f"event:{case_id}:{event}")
        if item is not None:
            console_db.session.expunge(item)
        return item


@pytest.mark.parametrize("urgent", [True, False])
def test_an_acknowledgement_carries_the_urgency_the_advisor_has_seen(
    console_app, provider_keys, advisor_client, today, urgent
):
    fields = {"urgency": "urgent,safety" if urgent else ""}
    case_id = make_case(console_app, provider_keys.recipient.public_key, received_on=RECEIVED,
                        fields=fields)
    advisor_client.get(f"/cases/{case_id}")  # reading the case learns its urgency
    acknowledge(advisor_client, case_id)
    assert json.loads(queued(console_app, case_id).body) == {"on": "2023-12-27",
                                                              "urgent": urgent}


def test_an_acknowledgement_before_anyone_read_the_case_leaves_the_urgency_out(
    console_app, provider_keys, advisor_client, today
):
    case_id = make_case(console_app, provider_keys.recipient.public_key, received_on=RECEIVED)
    acknowledge(advisor_client, case_id)
    assert json.loads(queued(console_app, case_id).body) == {"on": "2023-12-27"}


def test_first_opening_an_acknowledged_case_sends_the_acknowledgement_again_with_the_flag(
    console_app, provider_keys, advisor_client, today
):
    case_id = make_case(console_app, provider_keys.recipient.public_key, received_on=RECEIVED)
    acknowledge(advisor_client, case_id)
    with console_app.app_context():  # the sync has pushed it
        console_db.session.get(OutboxItem, f"event:{case_id}:acknowledged").sent_at = utcnow()
        console_db.session.commit()
    advisor_client.get(f"/cases/{case_id}")
    item = queued(console_app, case_id)
    assert item.sent_at is None
    assert json.loads(item.body) == {"on": "2023-12-27", "urgent": True}
    # Opening it again changes nothing: the flag is only learnt once.
    with console_app.app_context():
        console_db.session.get(OutboxItem, item.id).sent_at = utcnow()
        console_db.session.commit()
    advisor_client.get(f"/cases/{case_id}")
    assert queued(console_app, case_id).sent_at is not None


def test_other_events_do_not_carry_the_flag(console_app, provider_keys, make_advisor, today):
    staff = make_advisor()
    case_id = make_case(console_app, provider_keys.recipient.public_key, received_on=RECEIVED,
                        urgent=True)
    with console_app.app_context():
        advisor = console_db.session.get(Advisor, staff.id)
        case = console_db.session.get(Case, case_id)
        cases.record_event(console_db.session, advisor, case, "first_contact_attempted",
                           date(2023, 12, 27))
        cases.record_event(console_db.session, advisor, case, "closed", date(2024, 1, 2),
                           reason="declined")
    assert json.loads(queued(console_app, case_id, "first_contact_attempted").body) == {
        "on": "2023-12-27"
    }
    assert json.loads(queued(console_app, case_id, "closed").body) == {
        "on": "2024-01-02", "reason": "declined"
    }


def test_a_phone_case_sends_nothing_to_intake(console_app, provider_keys, make_advisor, today):
    staff = make_advisor()
    case_id = make_case(console_app, provider_keys.recipient.public_key, received_on=RECEIVED,
                        source="phone", urgent=True)
    with console_app.app_context():
        advisor = console_db.session.get(Advisor, staff.id)
        case = console_db.session.get(Case, case_id)
        cases.record_event(console_db.session, advisor, case, "acknowledged", date(2023, 12, 27))
    assert queued(console_app, case_id) is None


def test_the_flag_reaches_the_referral_at_intake_through_the_sync(
    linked: Linked, make_advisor: Callable[..., Staff]
) -> None:
    staff = make_advisor()
    referral_id = linked.refer()
    linked.sync()
    with linked.console.app_context():
        advisor = console_db.session.get(Advisor, staff.id)
        case = console_db.session.get(Case, referral_id)
        keys = {linked.keys.recipient.public_key.key_id: linked.keys.recipient}
        cases.open_case(console_db.session, advisor, case, keys)  # no urgency flags ticked
        cases.record_event(console_db.session, advisor, case, "acknowledged", date.today())
    assert linked.intake_referral(referral_id).urgent is None
    assert not linked.sync().errors
    assert linked.intake_referral(referral_id).urgent is False
