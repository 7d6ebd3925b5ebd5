"""The caseload ties periods together; the linked check's shortcut for a new quarter must
release exactly what checking every figure again would (property test over random histories).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import intake_db
from app.models.intake import Referral
from app.models.standards import Release
from app.standards import linked, releases
from app.standards.stored import releases as stored_releases
from tests.standards.conftest import recipient_id

REASONS = ("support_completed", "declined", "other")
SERVICES = ("idva", "idva", "isva", "not_sure")


def history(seed: int, per_quarter: int) -> list[dict[str, object]]:
    """Referrals over five quarters from April 2024, some closed a few weeks later."""
    rng = random.Random(seed)
    rows = []
    for quarter in range(5):
        start = date(2024, 4, 1) + timedelta(days=91 * quarter)
        for _ in range(rng.randrange(per_quarter)):
            received = start + timedelta(days=rng.randrange(90))
            closed = (
                received + timedelta(days=rng.randrange(5, 120)) if rng.random() < 0.6 else None
            )
            rows.append(
                {
                    "service": rng.choice(SERVICES),
                    "received_on": received,
                    "closed_on": closed,
                    "status": "closed" if closed else "with_advisor",
                    "closure_reason": rng.choice(REASONS) if closed else None,
                }
            )
    return rows


def full_check(self, period, new):
    return self.full_problems(period, new)


def released_with(app, rows, check) -> list[tuple[str, str, str]]:
    original = linked.LinkedCheck.problems
    linked.LinkedCheck.problems = check
    try:
        with app.app_context():
            intake_db.session.query(Release).delete()
            intake_db.session.query(Referral).delete()
            provider = recipient_id(app)
            intake_db.session.add_all(Referral(recipient_id=provider, **row) for row in rows)
            intake_db.session.commit()
            releases.release_due(date(2025, 9, 1))
            return sorted((r.period, r.table_name, r.content) for r in stored_releases())
    finally:
        linked.LinkedCheck.problems = original


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 10_000), per_quarter=st.sampled_from([8, 20, 45]))
def test_the_new_quarter_shortcut_releases_exactly_what_a_full_check_would(
    standards_app, seed, per_quarter
):
    rows = history(seed, per_quarter)

    fast = released_with(standards_app, rows, linked.LinkedCheck.problems)
    full = released_with(standards_app, rows, full_check)

    assert fast == full


def replayed_problems(app) -> list[str]:
    """Check every release again, in order, against what was released before it."""
    from app.disclosure import DisclosureRules
    from app.standards.stored import as_table, period_order

    with app.app_context():
        linked_rows = [r for r in stored_releases() if r.table_name in linked.LINKED]
        periods = sorted({r.period for r in linked_rows}, key=period_order)
        problems = []
        for label in periods:
            before = {
                (r.period, r.table_name): as_table(r)
                for r in linked_rows
                if period_order(r.period) < period_order(label)
            }
            mine = {r.table_name: as_table(r) for r in linked_rows if r.period == label}
            from app.disclosure import Period

            check = linked.LinkedCheck(before, DisclosureRules())
            problems += check.full_problems(Period.from_label(label), mine)
        return problems


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 10_000), per_quarter=st.sampled_from([8, 20, 45]))
def test_every_release_narrows_nothing_beyond_what_was_released_before_it(
    standards_app, seed, per_quarter
):
    released_with(standards_app, history(seed, per_quarter), linked.LinkedCheck.problems)

    assert replayed_problems(standards_app) == []


def test_a_year_whose_quarters_already_imply_its_closures_is_still_released(standards_app):
    # Seed 12 made every year option fail on "the year's closures total is at least 4",
    # which the quarters' released caseloads and receipts already implied.
    released = released_with(standards_app, history(12, 20), linked.LinkedCheck.problems)

    assert [p for p, table, _ in released if p == "2024-25" and table == "received"]
    assert replayed_problems(standards_app) == []
