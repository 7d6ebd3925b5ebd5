"""Write the synthetic history (demo/history.py) into both apps, as if it had really run.

Each online referral is sealed to the provider's key and stored in the console as a case,
and at intake as a delivered referral: the sealed content already deleted, only service,
status and workflow dates kept (G4), exactly what a sync leaves behind. Phone and email
cases exist only in the console. Then intake releases every completed, settled period
(`release_due`), and the provider's statistical return for every completed quarter is
counted from the sealed cases with the console's own code and accepted by intake's own
checks, so the dashboard has measured and provider tables for many quarters.

Rows go in with bulk INSERTs, one transaction per database, so `make run` stays quick.
Run once: an instance that already has a referral before MARKER_DAY is left alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import insert, select

from app.console import audit
from app.console import statistical_return as returns
from app.console.cases import DEFAULT_RETENTION_DAYS
from app.extensions import console_db, intake_db
from app.models.base import random_id
from app.models.console import Advisor, Case, RecipientKeyRecord
from app.models.intake import RecipientKey, Referral
from app.standards import settings
from app.standards.provider_returns import accept_provider_return
from app.standards.releases import release_due
from app.standards.stored import releases
from crypto.envelope import seal_record
from crypto.keyfile import unprotect
from crypto.keys import PrivateKey
from demo import history as demo_data

MARKER_DAY = date(2023, 1, 1)  # the service never had a referral this early: only the demo
# Who the console's audit log says opened the cases to count the returns (G8).
ACTOR = "demo-data (synthetic history)"
PRIVATE_KEY_FILE = "demo-provider-private-key.txt"


class DemoDataError(Exception):
    """The two apps are not ready for a history; the message says what to do."""


@dataclass(frozen=True)
class Filled:
    referrals: int  # online: at intake and in the console
    manual_cases: int  # phone and email: in the console only
    releases: int  # intake's own tables
    returns: int  # the provider's quarterly returns

    def describe(self) -> str:
        return (
            f"{self.referrals} online referrals and {self.manual_cases} phone and email cases, "
            f"{self.releases} intake tables released, {self.returns} quarterly returns accepted"
        )


def has_history(intake: Flask, console: Flask) -> bool:
    old = select(Referral.id).where(Referral.received_on < MARKER_DAY).limit(1)
    with intake.app_context():
        if intake_db.session.scalar(old) is not None:
            return True
    with console.app_context():
        return console_db.session.scalar(
            select(Case.id).where(Case.received_on < MARKER_DAY).limit(1)
        ) is not None


def fill(
    intake: Flask,
    console: Flask,
    key: PrivateKey,
    *,
    today: date | None = None,
    scale: float = 1.0,
    seed: int = demo_data.DEFAULT_SEED,
) -> Filled | None:
    """Fill both apps with the history up to `today`; None when they already hold one."""
    today = today or date.today()
    if has_history(intake, console):
        return None
    recipient_id = _check_ready(intake, console, key)
    cases = [(random_id(), case) for case in demo_data.history(today, seed=seed, scale=scale)]
    online = [(case_id, case) for case_id, case in cases if case.source == "online"]
    with console.app_context():
        days = int(console.config.get("RETENTION_DAYS_AFTER_CLOSE", DEFAULT_RETENTION_DAYS))
        rows = [_case_row(case_id, case, key, days) for case_id, case in cases]
        console_db.session.execute(insert(Case), rows)
        console_db.session.commit()
    with intake.app_context():
        rows = [_referral_row(case_id, case, recipient_id) for case_id, case in online]
        intake_db.session.execute(insert(Referral), rows)
        intake_db.session.commit()
        released = release_due(today)
    submitted = _submit_returns(intake, console, key, recipient_id, today)
    return Filled(len(online), len(cases) - len(online), len(released), submitted)


def fill_fresh_instance(intake: Flask, console: Flask, instance: Path, passphrase: str) -> str:
    """`make run`: the history on an instance without any referral yet; a line to print."""
    with intake.app_context():
        if intake_db.session.scalar(select(Referral.id).limit(1)) is not None:
            return ""
    started = time.perf_counter()
    key = PrivateKey.from_bytes(unprotect((instance / PRIVATE_KEY_FILE).read_text(), passphrase))
    filled = fill(intake, console, key)
    took = time.perf_counter() - started
    return f"Demo history added in {took:.1f} s: {filled.describe()}." if filled else ""


def _check_ready(intake: Flask, console: Flask, key: PrivateKey) -> str:
    """The recipient id at intake; both apps must know the key (make run sets them up)."""
    with intake.app_context():
        registered = intake_db.session.get(RecipientKey, key.key_id)
        if registered is None:
            raise DemoDataError("intake has no recipient with this public key: start `make run`")
        if settings.rules() != returns.rules_from_config(console.config):
            raise DemoDataError("intake and console use different disclosure rules")
        recipient_id = registered.recipient_id
    with console.app_context():
        if console_db.session.get(RecipientKeyRecord, key.key_id) is None:
            raise DemoDataError("the console does not hold this recipient key: start `make run`")
    return recipient_id


def _case_row(case_id: str, case: demo_data.SyntheticCase, key: PrivateKey, days: int) -> dict:
    online = case.source == "online"
    ended = case.closed_on or case.withdrawn_on
    return {
        "id": case_id,
        "source": case.source,
        "service": case.service,
        "received_on": case.received_on,
        "status": "closed" if case.closed_on else "open" if case.acknowledged_on else "new",
        "sealed": seal_record("referral", case_id, case.answers, key.public_key),
        # An online case's urgency is learnt when an advisor first opens it, at acknowledging.
        "urgent": case.urgent if case.acknowledged_on or not online else None,
        **_dates(case),
        "withdrawn_on": case.withdrawn_on,
        "purge_after": ended + timedelta(days=days) if ended else None,
    }


def _referral_row(case_id: str, case: demo_data.SyntheticCase, recipient_id: str) -> dict:
    """What intake holds once the provider has confirmed delivery and reported its dates."""
    withdrawn = case.withdrawn_on is not None
    status = "closed" if case.closed_on else "with_advisor" if case.acknowledged_on else "delivered"
    row: dict[str, Any] = {
        "id": case_id,
        "service": case.service,
        "recipient_id": recipient_id,
        "status": "withdrawn" if withdrawn else status,
        "received_on": case.received_on,
        # On a withdrawn row delivered_on means "not yet told"; the console has been told.
        "delivered_on": None if withdrawn else case.received_on,
        "urgent": case.urgent if case.acknowledged_on else None,
        "sealed": None,  # deleted once delivered (G4); no phrase lookup for synthetic people
        **_dates(case),
    }
    if withdrawn:
        row |= {"closed_on": case.withdrawn_on, "closure_reason": "withdrawn_by_referrer"}
    return row


def _dates(case: demo_data.SyntheticCase) -> dict[str, date | str | None]:
    return {
        "acknowledged_on": case.acknowledged_on,
        "first_contact_on": case.first_contact_on,
        "contact_made_on": case.contact_made_on,
        "closed_on": case.closed_on,
        "closure_reason": case.closure_reason,
    }


def _submit_returns(
    intake: Flask, console: Flask, key: PrivateKey, recipient_id: str, today: date
) -> int:
    """Every completed quarter's return, counted in the console and checked at intake."""
    # Not an account: prepare_return only writes its email to the audit log.
    actor = Advisor(email=ACTOR, name=ACTOR, role="manager")
    submitted = 0
    with console.app_context():
        quarters = list(reversed(returns.quarters_to_report(console_db.session, today)))
    for quarter in quarters:
        with intake.app_context():
            if releases(source="provider", provider_id=recipient_id, period=quarter.label):
                continue  # a manager already sent this quarter's return
            rules = settings.rules()
        with console.app_context():
            prepared = returns.prepare_return(
                console_db.session, actor, quarter, today, {key.key_id: key}, rules
            )
        with intake.app_context():
            tables = prepared.payload()["tables"]
            accept_provider_return(recipient_id, quarter.label, tables, rules, today)
        with console.app_context():
            # The console's returns page reads what was submitted from its audit log.
            audit.record(console_db.session, ACTOR, "submit_return", f"period:{quarter.label}")
        submitted += 1
    return submitted
