"""Retention in the console by how a case closed: six years after support, six weeks when no
service was taken up, six months when the referrer could not be reached. Each rule purges
exactly its cases, and their markers are gone from the raw SQLite file (or a pg_dump)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask

from app.console.retention import purge_after_closing, purge_expired
from app.extensions import console_db
from app.models.console import Case
from tests.console.case_factory import Today, add_message, make_case, post_form
from tests.intake.test_retention import holds, stored_bytes

CLOSED = date(2024, 3, 6)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Today:
    today = Today(monkeypatch)
    today.set(CLOSED)
    return today


def close(app: Flask, client: object, key: object, reason: str, marker: str) -> str:
    case_id = make_case(app, key, received_on=date(2024, 3, 4), status="open",
                        case_id=f"{marker}-case")
    add_message(app, key, case_id, f"{marker} message")
    post_form(client, f"/cases/{case_id}/close",  # type: ignore[arg-type]
              {"reason": reason, "on": [str(CLOSED.day), str(CLOSED.month), str(CLOSED.year)]})
    return case_id


def purge_on(app: Flask, day: date) -> set[str]:
    with app.app_context():
        purge_expired(console_db.session, day)
        return set(console_db.session.scalars(console_db.select(Case.id)))


def test_each_closure_reason_keeps_a_case_for_its_own_period(
    console_app: Flask, provider_keys, advisor_client, today, console_database_url: str
):
    key = provider_keys.recipient.public_key
    declined = close(console_app, advisor_client, key, "declined", "declined")
    unreachable = close(console_app, advisor_client, key, "no_contact_possible", "unreachable")
    supported = close(console_app, advisor_client, key, "support_completed", "supported")
    open_case = make_case(console_app, key, status="open", case_id="open-case")
    everyone = {declined, unreachable, supported, open_case}
    # The case ids stay in the audit log by design (content-free); the rows' own bytes go.
    with console_app.app_context():
        blobs = {case.id: case.sealed[-48:] for case in console_db.session.scalars(
            console_db.select(Case))}

    assert purge_on(console_app, CLOSED + timedelta(days=42)) == everyone
    assert purge_on(console_app, CLOSED + timedelta(days=43)) == everyone - {declined}
    assert purge_on(console_app, CLOSED + timedelta(days=184)) == {supported, open_case}
    assert purge_on(console_app, CLOSED + timedelta(days=6 * 365)) == {supported, open_case}
    assert purge_on(console_app, CLOSED + timedelta(days=6 * 365 + 1)) == {open_case}

    raw = stored_bytes(console_app, console_database_url, console_db)
    for purged in (declined, unreachable, supported):
        assert not holds(raw, blobs[purged]), purged
    assert holds(raw, blobs[open_case])


def test_the_periods_are_configurable_and_a_withdrawal_hold_is_never_shortened():
    config = {"RETENTION_DAYS_NO_SERVICE": 10, "RETENTION_DAYS_UNREACHABLE": 20,
              "RETENTION_DAYS_AFTER_CLOSE": 30}
    assert purge_after_closing(CLOSED, "declined", config, None) == CLOSED + timedelta(10)
    assert purge_after_closing(CLOSED, "withdrawn", config, None) == CLOSED + timedelta(10)
    assert purge_after_closing(CLOSED, "no_contact_possible", config, None) == (
        CLOSED + timedelta(20))
    assert purge_after_closing(CLOSED, "referred_on", config, None) == CLOSED + timedelta(30)
    held = CLOSED + timedelta(100)
    assert purge_after_closing(CLOSED, "declined", config, held) == held
