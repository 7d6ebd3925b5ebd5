"""G5 at the standards surface: monitoring answers never live at intake per person, and a
submission moves no figure DPS can see (a counter that moves when a referral arrives links
the two). The current quarter is not complete, so nothing about it is shown at all."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import intake_db
from app.models.standards import Release
from tests.database_scan import all_log_text, markers_in_tables, verbose_logging
from tests.referrer import FULL_ANSWERS, Referrer
from tests.standards.conftest import add_referrals, d, many
from tests.standards.pages import tables_on

# The monitoring answers DPS may see only in aggregate, with values long and rare enough
# never to occur by chance; their codes and their words are both looked for.
MONITORING = {
    "role": {"role_group": "volunteer"},
    "connection": {"police_connected": "not_sure"},
    "equality": {
        "age_group": "55-64",
        "sex": "male",
        "gender_identity": "no",
        "sexual_orientation": "bisexual",
        "ethnicity": "white_gypsy_traveller",
        "religion": "buddhist",
        "disability": "yes_a_little",
        "marital_status": "separated",
        "pregnancy": "no",
    },
}
MARKERS = [
    "volunteer",
    "special constable",
    "55-64",
    "bisexual",
    "white_gypsy_traveller",
    "Gypsy or Irish Traveller",
    "buddhist",
    "yes_a_little",
    "separated",
]


def with_monitoring() -> dict[str, dict[str, object]]:
    return {**FULL_ANSWERS, **MONITORING}


def seed_history(app: Flask) -> None:
    """Referrals in past quarters, so there are released tables to watch."""
    for month in ("2025-05-02", "2025-08-04", "2025-11-03", "2026-02-02", "2026-05-05"):
        add_referrals(
            app,
            *many(24, received_on=d(month), acknowledged_on=d(month)),
            *many(
                13,
                received_on=d(month),
                service="isva",
                closed_on=d(month),
                status="closed",
                closure_reason="support_completed",
            ),
        )


def everything_dps_sees(client: FlaskClient) -> dict[str, object]:
    """Every figure on every standards page: each released period's dashboard, the log."""
    first = client.get("/standards/tables").get_data(as_text=True)
    periods = [line.split('"')[1] for line in first.split("<option value=")[1:]]
    seen: dict[str, object] = {
        f"dashboard {period}": tables_on(
            client.get(f"/standards/tables?period={period}").get_data(as_text=True)
        )
        for period in periods
    }
    seen["commissioning"] = tables_on(client.get("/standards/").get_data(as_text=True))
    seen["release log"] = tables_on(client.get("/standards/releases").get_data(as_text=True))
    return seen


def releases_and_counts(app: Flask) -> tuple[list, dict[str, int]]:
    with app.app_context():
        rows = sorted(
            (r.id, r.source, r.period, r.table_name, r.content, r.released_on)
            for r in intake_db.session.scalars(sa.select(Release))
        )
        inspector = sa.inspect(intake_db.engine)
        counts = {
            name: intake_db.session.scalar(sa.select(sa.func.count()).select_from(sa.table(name)))
            for name in inspector.get_table_names()
        }
    return rows, counts


def test_a_submission_with_monitoring_answers_changes_nothing_dps_can_see(
    standards_app, signed_in, referrer: Referrer
):
    seed_history(standards_app)
    before = everything_dps_sees(signed_in)
    releases_before, counts_before = releases_and_counts(standards_app)
    assert len(before) > 3 and releases_before

    referrer.refer(with_monitoring())
    Referrer(standards_app.test_client()).refer(with_monitoring())

    assert everything_dps_sees(signed_in) == before
    releases_after, counts_after = releases_and_counts(standards_app)
    assert releases_after == releases_before
    changed = {name for name in counts_before if counts_after[name] != counts_before[name]}
    # Only the referrals themselves (and a referrer's own session) are new; no counter moved.
    assert changed <= {"referrals", "draft_sessions"}
    assert counts_after["referrals"] == counts_before["referrals"] + 2


def test_no_intake_table_or_log_holds_a_monitoring_answer_after_submissions(
    standards_app, signed_in, referrer: Referrer, caplog
):
    seed_history(standards_app)
    with verbose_logging(caplog, logging.INFO):
        referrer.refer(with_monitoring())
        Referrer(standards_app.test_client()).refer(with_monitoring())
        everything_dps_sees(signed_in)  # releases what is due, and reads every page

    with standards_app.app_context():
        hits = markers_in_tables(intake_db.engine, MARKERS)
    assert hits == {}
    assert not [m for m in MARKERS if m.lower() in all_log_text(caplog).lower()]


def test_the_current_quarter_is_never_shown_even_once_it_has_referrals(
    standards_app, signed_in, referrer: Referrer
):
    seed_history(standards_app)
    referrer.refer(with_monitoring())

    shown = everything_dps_sees(signed_in)

    from datetime import date

    from app.disclosure import period_for

    current = period_for(date.today(), "quarter").label
    assert not any(current in key for key in shown)
    assert current not in str(shown["release log"])
