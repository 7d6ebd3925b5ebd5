"""Intake's own tables: released once per completed period, protected, frozen (G6)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.disclosure import DisclosureRules, Period, family_problems, protect_one_way
from app.extensions import intake_db
from app.models.standards import Release
from app.standards import releases as releasing
from app.standards.linked import linked_problems
from app.standards.stored import as_table, content, releases
from tests.standards.conftest import add_referrals, cli, d, many
from tests.standards.test_linked import replayed_problems

RULES = DisclosureRules()


def released(on, period: str) -> dict[str, dict]:
    return on(lambda: {r.table_name: content(r) for r in releases(source="intake", period=period)})


def release(on, today: str) -> list[str]:
    return on(lambda: [f"{r.period} {r.table_name}" for r in releasing.release_due(d(today))])


def test_nothing_is_released_until_a_quarter_has_ended_and_settled_for_fourteen_days(
    standards_app, on
):
    add_referrals(standards_app, *many(12, received_on=d("2024-05-01")))

    assert release(on, "2024-06-30") == []  # not ended
    assert release(on, "2024-07-14") == []  # ended 30 June, 14 days not yet passed
    made = release(on, "2024-07-15")

    assert made == [
        f"2024-25 Q1 {name}"
        for name in ("received", "service_levels", "caseload", "closures", "demand")
    ]


def test_releasing_again_releases_nothing_and_changes_nothing(standards_app, on):
    add_referrals(standards_app, *many(12, received_on=d("2024-05-01")))
    release(on, "2024-08-01")
    before = on(lambda: sorted((r.id, r.content, r.released_on) for r in releases()))

    assert release(on, "2024-08-01") == []
    assert release(on, "2024-09-30") == []
    assert on(lambda: sorted((r.id, r.content, r.released_on) for r in releases())) == before


def test_a_released_table_never_changes_even_if_a_referral_later_appears_with_an_old_date(
    standards_app, on
):
    add_referrals(
        standards_app,
        *many(25, received_on=d("2024-05-01")),
        *many(15, received_on=d("2024-05-01"), service="isva"),
        *many(12, received_on=d("2024-05-01"), service="not_sure"),
    )
    release(on, "2024-08-01")
    first = released(on, "2024-25 Q1")

    # Impossible at intake (received_on is the day of submission), but defended anyway.
    add_referrals(standards_app, *many(20, received_on=d("2024-05-02"), service="isva"))
    release(on, "2024-08-02")

    assert released(on, "2024-25 Q1") == first
    assert first["received"]["rows"] == {"idva": 25, "isva": 15, "not_sure": 10}
    assert first["received"]["total"] == 50


def test_counts_are_rounded_to_five_and_counts_under_ten_are_withheld_with_their_total_safe(
    standards_app, on
):
    add_referrals(
        standards_app,
        *many(22, received_on=d("2024-05-01")),
        *many(14, received_on=d("2024-05-01"), service="isva"),
        *many(3, received_on=d("2024-05-01"), service="not_sure"),
    )
    release(on, "2024-08-01")

    table = released(on, "2024-25 Q1")["received"]

    # 3 is withheld; 14 goes too, or the total (39 -> 40) would give the 3 away.
    assert table["rows"] == {"idva": 20, "isva": None, "not_sure": None}
    assert table["total"] == 40
    assert table["rules"] == {"threshold": 10, "rounding_base": 5}


def test_a_year_follows_its_four_quarters_and_is_safe_alongside_them(standards_app, on):
    for month in ("2023-05-02", "2023-08-02", "2023-11-02", "2024-02-02"):
        add_referrals(
            standards_app,
            *many(14, received_on=d(month)),
            *many(4, received_on=d(month), service="isva"),
        )
    made = release(on, "2024-04-20")

    assert made[-5:] == [
        f"2023-24 {n}" for n in ("received", "service_levels", "caseload", "closures", "demand")
    ]
    year, quarters = on(
        lambda: (
            as_table(next(r for r in releases(period="2023-24") if r.table_name == "received")),
            {
                Period(2023, q): as_table(
                    next(r for r in releases(period=f"2023-24 Q{q}") if r.table_name == "received")
                )
                for q in (1, 2, 3, 4)
            },
        )
    )
    assert on(family_problems, quarters, year, RULES) == []
    assert year.rows["idva"] == 55  # 56 rounded; the ISVA quarters (4 each) stay withheld
    assert all(q.rows["isva"] is None for q in quarters.values())


def test_the_open_caseload_of_a_year_is_its_fourth_quarters(standards_app, on):
    add_referrals(
        standards_app,
        *many(13, received_on=d("2024-01-10")),
        *many(
            12,
            received_on=d("2024-01-10"),
            closed_on=d("2024-02-01"),
            status="closed",
            closure_reason="declined",
        ),
        *many(15, received_on=d("2024-01-10"), service="isva"),
        *many(12, received_on=d("2024-01-10"), service="not_sure"),
    )
    release(on, "2024-04-20")

    assert released(on, "2023-24")["caseload"] == released(on, "2023-24 Q4")["caseload"]
    assert released(on, "2023-24 Q4")["caseload"]["rows"] == {"open": 40}


def test_a_caseload_that_would_narrow_a_withheld_closures_total_is_withheld(standards_app, on):
    # Nothing closed: 50 received and 50 open would prove the withheld closures were 0 to 4.
    add_referrals(
        standards_app,
        *many(25, received_on=d("2024-01-10")),
        *many(15, received_on=d("2024-01-10"), service="isva"),
        *many(12, received_on=d("2024-01-10"), service="not_sure"),
    )
    release(on, "2024-04-20")

    assert released(on, "2023-24 Q4")["caseload"]["rows"] == {"open": None}


def test_service_level_percentages_are_shown_only_when_both_groups_are_large(standards_app, on):
    on_time = {
        "received_on": d("2024-05-01"),
        "acknowledged_on": d("2024-05-02"),
        "first_contact_on": d("2024-05-02"),
    }
    late = {
        "received_on": d("2024-05-01"),
        "acknowledged_on": d("2024-05-08"),
        "first_contact_on": d("2024-05-08"),
    }
    add_referrals(standards_app, *many(30, **on_time), *many(10, **late))
    add_referrals(
        standards_app,
        *many(
            30,
            **{
                **on_time,
                "received_on": d("2024-08-01"),
                "acknowledged_on": d("2024-08-02"),
                "first_contact_on": d("2024-08-02"),
            },
        ),
        *many(4, received_on=d("2024-08-01")),
    )
    release(on, "2024-10-20")

    q1 = released(on, "2024-25 Q1")["service_levels"]["rows"]
    q2 = released(on, "2024-25 Q2")["service_levels"]["rows"]

    assert q1 == {
        "acknowledged_within_target": 75,
        "first_contact_within_target": 75,
        "median_days_to_first_contact": 1.0,
    }
    # 30 of 34: the 4 late ones are too few to describe, so no percentage at all.
    assert q2["acknowledged_within_target"] is None
    assert q2["median_days_to_first_contact"] == 1.0


def test_demand_is_worked_out_from_released_totals_with_a_projection_to_the_year_end(
    standards_app, on
):
    add_referrals(
        standards_app,
        *many(40, received_on=d("2025-05-01")),
        *many(45, received_on=d("2025-08-01")),
    )
    release(on, "2025-10-20")

    after_q1 = released(on, "2025-26 Q1")["demand"]["rows"]
    after_q2 = released(on, "2025-26 Q2")["demand"]["rows"]

    assert after_q1["received_to_date"] == 40
    assert after_q2 == {
        "funded_capacity": 180,
        "quarters_completed": 2,
        "received_to_date": 85,  # 40 + 45, the released totals
        "percent_of_capacity": 47,
        "projected_year_total": 170,
        "projection_low": 150,
        "projection_high": 190,
        "projected_percent_of_capacity": 94,
    }


def test_a_year_with_no_funded_capacity_set_shows_no_capacity_figures(standards_app, on):
    standards_app.config["FUNDED_CAPACITY"] = {}
    add_referrals(standards_app, *many(40, received_on=d("2025-05-01")))
    release(on, "2025-07-20")

    # 40 in one quarter: 120 more expected; spread sqrt(120 + 3 * 3 * 40) = 21.9, and
    # 160 -/+ 1.645 * 21.9 = 124.0 to 196.0, rounded to fives.
    assert released(on, "2025-26 Q1")["demand"]["rows"] == {
        "quarters_completed": 1,
        "received_to_date": 40,
        "projected_year_total": 160,
        "projection_low": 125,
        "projection_high": 195,
    }


QUARTER_ONE_AND_TWO = (
    # Q1: 40 received, 20 of them closed in Q1, so 20 open at its end.
    *many(
        20,
        received_on=d("2024-05-01"),
        closed_on=d("2024-06-03"),
        status="closed",
        closure_reason="support_completed",
    ),
    *many(10, received_on=d("2024-05-01")),
    *many(10, received_on=d("2024-05-01"), service="isva"),
    # Q2: 3 received (withheld), none closed: 23 open, which rounds to 25.
    *many(3, received_on=d("2024-08-01")),
)


def test_a_caseload_that_would_prove_a_withheld_count_is_not_zero_is_withheld_too(
    standards_app, on
):
    # 25 open (23 to 27) after 20 (18 to 22) would prove Q2 received at least one referral.
    add_referrals(standards_app, *QUARTER_ONE_AND_TWO)
    release(on, "2024-10-20")

    q2 = released(on, "2024-25 Q2")
    assert q2["received"]["total"] is None
    assert q2["caseload"]["rows"] == {"open": None}
    assert released(on, "2024-25 Q1")["caseload"]["rows"] == {"open": 20}


def test_the_linked_check_finds_the_caseload_leak_that_the_release_avoided(standards_app, on):
    add_referrals(standards_app, *QUARTER_ONE_AND_TWO)
    release(on, "2024-10-20")
    tables = on(
        lambda: {
            (r.period, r.table_name): as_table(r)
            for r in releases()
            if r.table_name in ("received", "closures", "caseload")
        }
    )
    assert on(linked_problems, tables, RULES) == []

    leaky = {**tables, ("2024-25 Q2", "caseload"): protect_one_way({"open": 23}, RULES)}

    problems = on(linked_problems, leaky, RULES)
    assert any(
        p.startswith("2024-25 Q2 received Total: can be shown to be at least") for p in problems
    ), problems


def a_year_of_closures() -> list[dict[str, object]]:
    """The demo's 2022-23 in small: 7 closed in Q1 (withheld, so Q1's caseload is withheld
    too), then about 30 closed a quarter, 17 of them "support completed" in Q2."""
    quarters = [
        ("2024-05-02", 39, "2024-06-14", {"declined": 7}),
        ("2024-08-02", 38, "2024-09-13", {"support_completed": 17, "declined": 8, "other": 7}),
        ("2024-11-04", 33, "2024-12-13", {"support_completed": 14, "declined": 8, "other": 8}),
        ("2025-02-03", 40, "2025-03-14", {"support_completed": 13, "declined": 9, "other": 8}),
    ]
    rows: list[dict[str, object]] = []
    open_since: list[str] = []
    for received, count, closed, reasons in quarters:
        open_since += [received] * count
        for reason, closing in reasons.items():
            rows += [
                {
                    "received_on": d(open_since.pop(0)),
                    "closed_on": d(closed),
                    "status": "closed",
                    "closure_reason": reason,
                }
                for _ in range(closing)
            ]
    return rows + [{"received_on": d(day)} for day in open_since]


def test_a_quarter_that_withholds_its_closures_total_withholds_its_outcome_rows_too(
    standards_app, on
):
    add_referrals(standards_app, *a_year_of_closures())
    release(on, "2025-04-20")

    q2 = released(on, "2024-25 Q2")["closures"]
    assert q2["total"] is None
    assert set(q2["rows"].values()) == {None}  # 17 "support completed" withheld with it


def test_the_year_keeps_its_total_and_share_of_capacity_when_the_quarters_allow_it(
    standards_app, on
):
    # With Q2's "support completed" released (15) under its withheld total, the year's
    # total (150) would prove Q1's withheld caseload at least 3 from Q3's figures, so the
    # year used to lose its total and its share of funded capacity.
    add_referrals(standards_app, *a_year_of_closures())
    release(on, "2025-04-20")

    year = released(on, "2024-25")
    assert year["received"]["total"] == 150
    assert year["demand"]["rows"]["received_to_date"] == 150
    assert year["demand"]["rows"]["percent_of_capacity"] == 100  # of 150 funded
    assert year["closures"]["total"] == 100
    assert replayed_problems(standards_app) == []


def test_a_year_gives_up_parts_before_totals_and_its_received_total_last(standards_app, on):
    counts = {"received": {"idva": 60, "isva": 30}, "closures": {"declined": 20, "other": 20}}
    tables = {n: protect_one_way(c, RULES) for n, c in counts.items()}
    tables["caseload"] = protect_one_way({"open": 40}, RULES)

    shown = [
        {
            name: ("parts" if any(t.rows.values()) else "") + (" total" if t.total else "")
            for name, t in option.items()
            if name != "caseload"
        }
        for option in releasing._year_variants(counts, tables, RULES)
    ]

    assert shown == [
        {"received": "parts total", "closures": "parts total"},
        {"received": "parts total", "closures": " total"},
        {"received": "parts total", "closures": "parts"},
        {"received": "parts total", "closures": ""},
        {"received": " total", "closures": ""},
        {"received": "parts", "closures": ""},
        {"received": "", "closures": ""},
    ]


def test_when_another_instance_released_a_period_first_its_release_stands(
    standards_app, on, monkeypatch
):
    add_referrals(standards_app, *many(12, received_on=d("2024-05-01")))
    release(on, "2024-08-01")
    before = on(lambda: sorted((r.id, r.content) for r in releases()))
    real = releasing.releases
    # This instance has not seen the other's rows yet when it decides what is due.
    monkeypatch.setattr(
        releasing, "releases", lambda **kw: [] if kw == {"source": "intake"} else real(**kw)
    )

    assert release(on, "2024-08-01") == []
    assert on(lambda: sorted((r.id, r.content) for r in releases())) == before


def test_the_release_command_releases_what_is_due_once(standards_app):
    add_referrals(standards_app, *many(12, received_on=d("2024-05-01")))

    first = cli(standards_app, "release")
    second = cli(standards_app, "release")

    assert first.exit_code == 0 and "2024-25 Q1" in first.output
    assert "Nothing to release" in second.output
    with standards_app.app_context():
        labels = intake_db.session.scalars(select(Release.period).distinct()).all()
    assert "2024-25" in labels  # the year, after its quarters


@pytest.mark.parametrize(
    "today, label", [("2024-07-15", "2024-25 Q2"), ("2024-07-14", "2024-25 Q1")]
)
def test_the_next_release_is_the_quarter_that_has_not_yet_settled(standards_app, on, today, label):
    quarter, day = on(releasing.next_release, d(today))
    assert quarter.label == label
    assert day == quarter.end + (d("2024-07-15") - d("2024-06-30"))


def test_release_contents_are_stored_as_compact_json_in_a_fixed_order(standards_app, on):
    add_referrals(standards_app, *many(12, received_on=d("2024-05-01")))
    release(on, "2024-08-01")
    row = on(lambda: next(r for r in releases(period="2024-25 Q1") if r.table_name == "received"))

    assert json.loads(row.content)["kind"] == "counts"
    assert row.content.startswith('{"kind":"counts","rules":')
