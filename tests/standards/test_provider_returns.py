"""accept_provider_return: a provider's statistical return is checked at intake against the
same rules, released whole and once, or refused with every problem in plain words (G5, G6)."""

from __future__ import annotations

from copy import deepcopy
from datetime import date

import pytest

from app.disclosure import DisclosureRules, Period, protect_one_way, protect_year
from app.return_contract import PROVIDER_TABLES, SAME_POPULATION
from app.standards.provider_returns import ReturnRefused, accept_provider_return
from app.standards.stored import releases
from tests.standards.conftest import recipient_id

RULES = DisclosureRules()
TODAY = date(2025, 11, 25)
# Counts for 40 cases received in the quarter, and 22 closed in it.
COUNTS: dict[str, dict[str, int]] = {
    "police_connected": {"yes": 24, "no": 16},
    "role_group": {"officer": 15, "staff": 25},
    "other_routes": {"online": 28, "phone": 12},
    "outcomes": {"support_completed": 12, "declined": 10},
}


def counts_for(name: str) -> dict[str, int]:
    found = COUNTS.get(name, {"not_answered": 40})
    return {code: found.get(code, 0) for code in PROVIDER_TABLES[name].categories}


def good_return() -> dict[str, dict[str, object]]:
    tables = {}
    for name in PROVIDER_TABLES:
        table = protect_one_way(counts_for(name), RULES)
        tables[name] = {"rows": dict(table.rows), "total": table.total}
    return tables


def accept(on, tables, period="2025-26 Q1", today=TODAY, who=None) -> list[str]:
    """The names of the tables released (read while the release rows are still attached)."""

    def run() -> list[str]:
        from flask import current_app

        provider = who or recipient_id(current_app._get_current_object())
        made = accept_provider_return(provider, period, tables, RULES, today=today)
        return [release.table_name for release in made]

    return on(run)


def refusal(on, tables, **kwargs) -> list[str]:
    with pytest.raises(ReturnRefused) as refused:
        accept(on, tables, **kwargs)
    assert on(lambda: releases(source="provider")) == []
    return refused.value.problems


def test_a_good_return_is_released_whole_as_sent(standards_app, on):
    tables = good_return()

    made = accept(on, tables)

    assert sorted(made) == sorted(PROVIDER_TABLES)
    stored = on(lambda: {r.table_name: r for r in releases(source="provider")})
    assert len(stored) == len(PROVIDER_TABLES)
    assert stored["police_connected"].period == "2025-26 Q1"
    assert stored["police_connected"].provider_id == recipient_id(standards_app)


def test_a_second_return_for_a_released_period_is_refused_because_releases_are_never_revised(
    standards_app, on
):
    accept(on, good_return())

    with pytest.raises(ReturnRefused) as refused:
        accept(on, good_return())

    assert refused.value.problems == [
        "The return for 2025-26 Q1 was released on 25 November 2025. A released table is "
        "never revised, so a period takes one return"
    ]


@pytest.mark.parametrize(
    "label, words",
    [
        ("2025-26 Q3", "2025-26 Q3 ends on 31 December 2025: only a completed period"),
        ("2025-26", "2025-26 ends on 31 March 2026: only a completed period"),
        ("2025 Q1", "'2025 Q1' is not a period: give a quarter like 2025-26 Q1"),
        ("2025-27 Q1", "'2025-27 Q1' is not a period"),
    ],
)
def test_a_period_that_is_not_complete_or_not_a_period_is_refused(standards_app, on, label, words):
    problems = refusal(on, good_return(), period=label)
    assert len(problems) == 1 and problems[0].startswith(words)


def test_an_unknown_provider_is_refused(standards_app, on):
    assert refusal(on, good_return(), who="no-such-recipient") == [
        "No such provider is registered at intake"
    ]


def test_a_two_way_table_is_refused_by_name_and_by_shape(standards_app, on):
    tables = good_return()
    tables["police_connected x equality.ethnicity"] = {"rows": {}, "total": None}
    tables["role_group"] = {"rows": {"officer": {"yes": 10, "no": 5}}, "total": 15}

    problems = refusal(on, tables)

    assert problems[0].startswith(
        "police_connected x equality.ethnicity: not a table of this return. Only one-way tables"
    )
    assert (
        "role_group: officer must be a single count or null, not {'yes': 10, 'no': 5}" in problems
    )


def test_unknown_and_missing_categories_and_missing_tables_are_each_named(standards_app, on):
    tables = good_return()
    tables["equality.sex"]["rows"]["intersex_or_other"] = None
    del tables["equality.religion"]["rows"]["buddhist"]
    del tables["equality.pregnancy"]

    problems = refusal(on, tables)

    assert "equality.pregnancy: missing from the return" in problems
    assert "equality.sex: unknown category 'intersex_or_other'" in problems
    assert "equality.religion: category 'buddhist' is missing" in problems


def test_a_table_that_is_not_an_object_of_rows_and_total_is_refused(standards_app, on):
    tables = good_return()
    tables["role_group"] = [15, 25]
    tables["other_routes"] = {"rows": {"online": 30}, "total": 30, "note": "x"}

    problems = refusal(on, tables)

    assert problems == [
        'role_group: must be {"rows": {category: count or null}, "total": count or null}',
        'other_routes: must be {"rows": {category: count or null}, "total": count or null}',
    ]


def test_unrounded_and_small_counts_are_refused_with_the_rule_they_break(standards_app, on):
    tables = good_return()
    tables["police_connected"]["rows"].update({"yes": 23, "no": 5})
    tables["police_connected"]["total"] = 40

    problems = refusal(on, tables)

    assert "police_connected: yes: 23 is not a count rounded to a multiple of 5" in problems
    assert "police_connected: no: 5 is under the threshold of 10" in problems


def test_a_lone_suppressed_cell_beside_a_released_total_is_refused(standards_app, on):
    tables = good_return()
    tables["other_routes"] = {"rows": {"online": 30, "phone": None, "email": 10}, "total": 40}

    problems = refusal(on, tables)

    assert problems == [
        "other_routes: phone: the only suppressed cell, so the total gives it away",
        "other_routes: phone: can be narrowed to 0-4",
    ]


def test_tables_about_the_same_cases_must_agree_on_their_total(standards_app, on):
    tables = good_return()
    tables["role_group"] = {"rows": {**tables["role_group"]["rows"], "staff": 30}, "total": 45}

    problems = refusal(on, tables)

    assert problems[0].startswith("tables counting the same cases give different totals:")


def test_a_withheld_total_that_another_table_gives_away_is_refused(standards_app, on):
    tables = good_return()
    # Alone, withholding the total hides "phone"; but every other table about the same
    # cases releases 40, and 40 - 30 - 10 would give it away.
    tables["other_routes"] = {"rows": {"online": 30, "phone": None, "email": 10}, "total": None}

    problems = refusal(on, tables)

    assert (
        "other_routes: its withheld total is given by the other tables (40), and then "
        "phone: the only suppressed cell, so the total gives it away"
    ) in problems


def test_a_years_return_needs_its_four_quarters_released_first(standards_app, on):
    accept(on, good_return(), period="2024-25 Q1")

    problems = refusal_after(on, good_return(), period="2024-25")

    assert problems == [
        "2024-25 can be released only after its four quarters; not yet released: "
        "2024-25 Q2, 2024-25 Q3, 2024-25 Q4"
    ]


def refusal_after(on, tables, **kwargs) -> list[str]:
    with pytest.raises(ReturnRefused) as refused:
        accept(on, tables, **kwargs)
    return refused.value.problems


def year_of() -> dict:
    """The year's return, as the console should make it: four quarters like good_return's,
    protected together with them (app.disclosure.protect_year)."""
    year = {}
    for name in PROVIDER_TABLES:
        quarter = protect_one_way(counts_for(name), RULES)
        quarters = {Period(2024, q): quarter for q in (1, 2, 3, 4)}
        counts = {k: 4 * v for k, v in counts_for(name).items()}
        table = protect_year(counts, quarters, RULES)
        year[name] = {"rows": dict(table.rows), "total": table.total}
    return year


def test_a_years_return_consistent_with_its_quarters_is_released(standards_app, on):
    for quarter in (1, 2, 3, 4):
        accept(on, good_return(), period=f"2024-25 Q{quarter}")

    made = accept(on, year_of(), period="2024-25")

    assert len(made) == len(PROVIDER_TABLES)


def test_a_years_return_that_contradicts_its_quarters_is_refused(standards_app, on):
    for quarter in (1, 2, 3, 4):
        accept(on, good_return(), period=f"2024-25 Q{quarter}")
    year = year_of()
    # Right as a table on its own (115 + 35 of 160, the rest withheld and able to be 0 to
    # 9), but the quarters say about 100 and 60.
    year["police_connected"] = deepcopy(year["police_connected"])
    year["police_connected"]["rows"].update({"yes": 115, "no": 35})

    problems = refusal_after(on, year, period="2024-25")

    assert "police_connected: the year's figures contradict its quarters'" in problems


def test_the_same_population_tables_are_the_ones_about_cases_received(standards_app):
    assert "outcomes" not in SAME_POPULATION
    assert {"police_connected", "role_group", "other_routes"} <= set(SAME_POPULATION)
    assert {n for n in PROVIDER_TABLES if n.startswith("equality.")} <= set(SAME_POPULATION)
