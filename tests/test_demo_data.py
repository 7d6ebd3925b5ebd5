"""The demo history: years of synthetic referrals in both apps, as if the service had run.

The history itself is checked at full size (it is only drawn, not sealed); filling the two
apps runs at a tenth of the size so the tests stay quick.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app import create_console_app
from app.console import audit
from app.disclosure import completed_periods, period_for
from app.extensions import console_db, intake_db
from app.intake import recipients
from app.models.console import AuditEntry, Case, RecipientKeyRecord
from app.models.intake import Referral
from app.models.standards import Release
from app.questionnaire import journey
from app.return_contract import NOT_ANSWERED, PROVIDER_TABLES
from app.working_days import working_days_between
from crypto.custody import new_recovery_key, wrap_for_recovery
from crypto.envelope import open_record
from crypto.keyfile import TEST_PARAMS, protect
from crypto.keys import PrivateKey
from demo.answers import MARKER, URGENCY_FLAGS
from demo.cli import demo_data_command
from demo.fill import fill
from demo.history import FIRST_YEAR_REFERRALS, SyntheticCase, history
from tests.console.conftest import console_settings
from tests.database_scan import markers_at_rest, markers_in_tables
from tests.provider_signing import register_signed

TODAY = date(2026, 11, 25)
SCALE = 0.1
FREE_TEXT = ("name", "account", "access_needs", "safe_times", "someone_else_answers")
ANSWERED_AS = {name.removeprefix("equality."): spec for name, spec in PROVIDER_TABLES.items()}


@dataclass
class DemoApps:
    intake: Flask
    console: Flask
    key: PrivateKey
    console_url: str


@pytest.fixture
def demo_apps(app: Flask, console_database_url: str) -> Iterator[DemoApps]:
    """Both apps set up as `make run` leaves them: the demo key known to each, no referrals."""
    key = PrivateKey.generate()
    with app.app_context():
        register_signed("Demo advisor service", key.public_key)
        for service in ("idva", "isva", "not_sure"):
            recipients.assign(service, "Demo advisor service")
    console = create_console_app(console_settings(console_database_url))
    with console.app_context():
        console_db.drop_all()
        console_db.create_all()
        console_db.session.add(
            RecipientKeyRecord(
                key_id=key.key_id,
                generation=1,
                public_key=key.public_key.to_bytes(),
                recovery_blob=wrap_for_recovery(key, new_recovery_key()),
            )
        )
        console_db.session.commit()
    yield DemoApps(app, console, key, console_database_url)
    with console.app_context():
        console_db.session.remove()
        console_db.drop_all()
        console_db.engine.dispose()


@pytest.fixture(scope="module")
def cases() -> list[SyntheticCase]:
    return history(TODAY)


def online_by_year(cases: list[SyntheticCase]) -> Counter[str]:
    return Counter(period_for(c.received_on, "year").label for c in cases if c.source == "online")


def test_the_history_spans_several_financial_years_with_demand_growing_every_year(
    cases: list[SyntheticCase],
) -> None:
    years = online_by_year(cases)
    assert list(years) == ["2022-23", "2023-24", "2024-25", "2025-26", "2026-27"]
    complete = [years[label] for label in ("2022-23", "2023-24", "2024-25", "2025-26")]
    assert complete[0] == FIRST_YEAR_REFERRALS
    assert all(later > earlier * 1.1 for earlier, later in pairwise(complete))
    assert cases[0].received_on >= date(2022, 4, 1) and cases[-1].received_on <= TODAY
    services = Counter(c.service for c in cases if c.source == "online")
    assert 0.15 < services["isva"] / services.total() < 0.25 and services["not_sure"] > 0
    assert {c.source for c in cases} == {"online", "phone", "email"}


def test_every_synthetic_answer_is_a_code_the_form_offers_and_no_free_text_is_a_story(
    cases: list[SyntheticCase],
) -> None:
    for case in cases:
        assert tuple(case.answers) == journey.SEALED_FIELDS
        for question, spec in ANSWERED_AS.items():
            if question in case.answers:
                assert (case.answers[question] or NOT_ANSWERED) in spec.categories
        assert all(not case.answers[f] or MARKER in case.answers[f] for f in FREE_TEXT)
        flags = case.answers["urgency"]
        assert not flags or set(flags.split(",")) <= set(URGENCY_FLAGS)
        assert case.answers["phone"] == "" or case.answers["phone"].startswith("07700 900")
    first, last = (
        [c.answers["police_connected"] for c in cases if c.received_on.year == year]
        for year in (2022, 2026)
    )
    assert first.count("yes") / len(first) < last.count("yes") / len(last)
    assert 0.4 < last.count("yes") / len(last) < 0.65
    equality = Counter(c.answers["ethnicity"] for c in cases)
    assert equality["prefer_not"] and equality[""]


def test_workflow_dates_follow_each_other_never_pass_today_and_are_sometimes_late(
    cases: list[SyntheticCase],
) -> None:
    for case in cases:
        # Contact is never made in some cases, which are closed all the same.
        steps = [case.received_on, case.acknowledged_on, case.first_contact_on, case.closed_on]
        done = [day for day in steps if day is not None]
        assert done == steps[: len(done)] and done == sorted(done) and done[-1] <= TODAY
        if case.contact_made_on:
            assert case.first_contact_on <= case.contact_made_on <= (case.closed_on or TODAY)
        assert (case.closure_reason is None) == (case.closed_on is None)
        assert case.withdrawn_on is None or case.closed_on is None
    lags = [working_days_between(c.received_on, c.acknowledged_on)
            for c in cases if c.acknowledged_on]
    assert 0.6 < sum(lag <= 1 for lag in lags) / len(lags) < 0.95
    assert any(c.closed_on is None and c.withdrawn_on is None for c in cases)  # still open
    assert any(c.withdrawn_on for c in cases) and any(c.urgent for c in cases)
    assert len({c.closure_reason for c in cases}) > 5


def test_intake_holds_only_delivered_referrals_with_dates_and_no_sealed_content_or_plaintext(
    demo_apps: DemoApps, database_url: str
) -> None:
    filled = fill(demo_apps.intake, demo_apps.console, demo_apps.key, today=TODAY, scale=SCALE)

    with demo_apps.intake.app_context():
        rows = intake_db.session.scalars(sa.select(Referral)).all()
        assert markers_in_tables(intake_db.engine, [MARKER]) == {}
    assert filled is not None and len(rows) == filled.referrals > 50
    assert all(r.sealed is None and r.lookup_id is None for r in rows)
    assert {r.status for r in rows} >= {"closed", "with_advisor"}
    assert all((r.status == "closed") == (r.closure_reason in PROVIDER_TABLES["outcomes"]
                                          .categories) for r in rows if r.status != "withdrawn")
    assert markers_at_rest(database_url, [MARKER]) == {}


def test_console_cases_open_with_the_recipient_key_and_carry_the_fixed_field_set(
    demo_apps: DemoApps,
) -> None:
    filled = fill(demo_apps.intake, demo_apps.console, demo_apps.key, today=TODAY, scale=SCALE)

    with demo_apps.intake.app_context():
        at_intake = set(intake_db.session.scalars(sa.select(Referral.id)))
    with demo_apps.console.app_context():
        cases = console_db.session.scalars(sa.select(Case)).all()
        for case in cases:
            fields = open_record("referral", case.id, case.sealed, demo_apps.key)
            assert tuple(sorted(fields)) == tuple(sorted(journey.SEALED_FIELDS))
            assert MARKER in fields["name"] and fields["service"] == case.service
    assert filled is not None and len(cases) == filled.referrals + filled.manual_cases
    assert {c.id for c in cases if c.source == "online"} == at_intake
    assert {c.source for c in cases} == {"online", "phone", "email"}


def test_every_settled_period_is_released_and_every_completed_quarter_has_a_provider_return(
    demo_apps: DemoApps,
) -> None:
    filled = fill(demo_apps.intake, demo_apps.console, demo_apps.key, today=TODAY, scale=SCALE)

    with demo_apps.intake.app_context():
        released = Counter(
            (r.source, r.period) for r in intake_db.session.scalars(sa.select(Release))
        )
        settled = TODAY - timedelta(days=demo_apps.intake.config["STANDARDS_SETTLE_DAYS"])
    periods = completed_periods(settled, date(2022, 4, 1))
    assert {p for s, p in released if s == "intake"} == {p.label for p in periods}
    quarters = [p.label for p in completed_periods(TODAY, date(2022, 4, 1)) if p.quarter]
    assert {p for s, p in released if s == "provider"} == set(quarters)
    assert all(released["provider", q] == len(PROVIDER_TABLES) for q in quarters)
    assert filled is not None and filled.returns == len(quarters) == 18
    with demo_apps.console.app_context():
        submitted = console_db.session.scalars(
            sa.select(AuditEntry.subject).where(AuditEntry.action == "submit_return")
        ).all()
        assert audit.verify(console_db.session).intact
    assert sorted(submitted) == sorted(f"period:{q}" for q in quarters)


def test_the_command_fills_an_empty_instance_once_and_then_says_there_is_nothing_to_do(
    demo_apps: DemoApps, tmp_path: Path
) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_text(protect(demo_apps.key.to_bytes(), "a passphrase", params=TEST_PARAMS))
    command = ["demo-data", "--console-database-url", demo_apps.console_url,
               "--key-file", str(key_file), "--passphrase", "a passphrase", "--scale", "0.1"]
    demo_apps.intake.cli.add_command(demo_data_command)  # as demo.create_intake_app does
    runner = demo_apps.intake.test_cli_runner()

    first = runner.invoke(args=command)
    with demo_apps.intake.app_context():
        counted = intake_db.session.scalar(sa.select(sa.func.count()).select_from(Referral))
    again = runner.invoke(args=command)

    assert first.exit_code == 0 and "online referrals" in first.output, first.output
    assert again.exit_code == 0 and "Nothing to do" in again.output, again.output
    with demo_apps.intake.app_context():
        assert intake_db.session.scalar(
            sa.select(sa.func.count()).select_from(Referral)
        ) == counted
    with demo_apps.console.app_context():
        assert console_db.session.scalar(sa.select(sa.func.count()).select_from(Case)) > counted
    wrong = runner.invoke(args=[*command[:-4], "--passphrase", "wrong", "--scale", "0.1"])
    assert wrong.exit_code != 0 and "does not open" in wrong.output
