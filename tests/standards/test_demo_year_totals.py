"""Suppression keeps what matters (issue 10 item 8): in the demo history's first year,
2022-23, the year's total of referrals received and its share of funded capacity survive
secondary suppression and the release audit; what is withheld falls on less useful cells.

The demo history is filled through both apps as `make run` does (tests/test_demo_data.py),
at full size but only to the end of May 2023, so that 2022-23 is released and the test
stays quick.
"""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa

from app.extensions import intake_db
from app.models.standards import Release
from demo.fill import fill
from demo.run import DEMO_FUNDED_CAPACITY
from tests.test_demo_data import DemoApps, demo_apps  # noqa: F401 (the fixture)


def released(apps: DemoApps, period: str, table: str) -> dict:
    with apps.intake.app_context():
        row = intake_db.session.scalars(
            sa.select(Release).where(
                Release.source == "intake", Release.period == period, Release.table_name == table
            )
        ).one()
        return json.loads(row.content)


def test_the_2022_23_demo_year_shows_its_total_referrals_received_and_share_of_capacity(
    demo_apps: DemoApps,  # noqa: F811
) -> None:
    demo_apps.intake.config["FUNDED_CAPACITY"] = DEMO_FUNDED_CAPACITY
    fill(demo_apps.intake, demo_apps.console, demo_apps.key, today=date(2023, 5, 31), scale=1.0)

    received = released(demo_apps, "2022-23", "received")
    assert received["total"] is not None
    demand = released(demo_apps, "2022-23", "demand")["rows"]
    assert demand["received_to_date"] == received["total"]
    assert demand["percent_of_capacity"] is not None
