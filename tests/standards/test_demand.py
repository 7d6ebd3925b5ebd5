"""Demand against funded capacity: worked from released totals only, with a Poisson-based
90% range for the year end (normal approximation, rounded to the rounding base)."""

from __future__ import annotations

import pytest

from app.disclosure import DisclosureRules, Period
from app.standards.demand import projection, quarter_demand, year_demand

RULES = DisclosureRules()


def test_half_a_year_of_100_projects_200_with_a_range_of_175_to_225():
    # 100 more expected; spread sqrt(100 + 1 * 100) = 14.1; 200 -/+ 1.645 * 14.1 = 176.7 to 223.3
    assert projection(100, 2, 2, RULES) == (200, 175, 225)


def test_the_low_end_is_never_below_what_has_already_been_received():
    # 10 in one quarter: centre 40, spread sqrt(30 + 9 * 10) = 11.0, low 40 - 18 = 22.
    assert projection(10, 1, 3, RULES) == (40, 20, 60)
    assert projection(0, 1, 3, RULES) == (0, 0, 0)


def test_a_projection_needs_at_least_one_released_quarter():
    with pytest.raises(ValueError):
        projection(10, 0, 4, RULES)


def test_a_withheld_quarter_total_withholds_the_year_so_far_and_the_projection():
    figures = quarter_demand(Period(2025, 2), [40, None], 180, RULES)

    assert figures == {
        "funded_capacity": 180,
        "quarters_completed": 2,
        "received_to_date": None,
        "percent_of_capacity": None,
        "projected_year_total": None,
        "projection_low": None,
        "projection_high": None,
        "projected_percent_of_capacity": None,
    }


def test_after_the_fourth_quarter_there_is_nothing_left_to_project():
    figures = quarter_demand(Period(2025, 4), [40, 45, 50, 45], 150, RULES)

    assert figures == {
        "funded_capacity": 150,
        "quarters_completed": 4,
        "received_to_date": 180,
        "percent_of_capacity": 120,
    }


def test_a_service_started_mid_year_projects_from_its_released_quarters_only():
    # Started in Q2: Q1 was never released. Q2 and Q3 seen at 50 each; Q4 left: 100 + 50.
    assert quarter_demand(Period(2025, 3), [50, 50], None, RULES)["projected_year_total"] == 150


def test_the_year_compares_its_released_total_with_the_capacity():
    assert year_demand(195, 180) == {
        "funded_capacity": 180,
        "quarters_completed": 4,
        "received_to_date": 195,
        "percent_of_capacity": 108,
    }
    assert year_demand(None, None) == {"quarters_completed": 4, "received_to_date": None}
