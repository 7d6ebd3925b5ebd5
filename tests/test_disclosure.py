"""Disclosure control: hand-worked tables first, then what the attacker's solver can and cannot do.

The guarantees proved here (by example and by Hypothesis), for the default rules unless said:
- every released figure is the true count rounded half up to 5, and is at least 10;
- no output fails `validate_one_way`, and the intake refuses hand-made bad tables;
- for every suppressed figure the attacker's exact interval [lo, hi] contains the truth and either
  starts at 0 and reaches the rounding base, or starts at the threshold: so a small suppressed
  count is never proven non-empty and always has at least base + 1 possible values;
- a year released with `protect_year` keeps that true for all five tables of its family;
- two releases one referral apart reveal its category exactly when `differencing_check` says
  so, and never when the releases are identical.
"""

import itertools
from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app import disclosure
from app.disclosure import (
    TOTAL,
    DisclosureRules,
    Period,
    ProtectedTable,
    _cell_boxes,
    _exact_interval,
    _joint_arcs,
    _total_box,
    completed_periods,
    differencing_check,
    display,
    family_problems,
    feasible_intervals,
    is_completed,
    median_or_none,
    percentage_or_none,
    period_for,
    protect_one_way,
    protect_year,
    validate_one_way,
    year_percentage_or_none,
)

RULES = DisclosureRules()
FY = Period(2025)

counts_strategy = st.lists(
    st.one_of(st.integers(0, 15), st.integers(0, 200)), min_size=1, max_size=15
).map(lambda xs: {f"group {i}": x for i, x in enumerate(xs)})
rules_strategy = st.builds(
    DisclosureRules, threshold=st.integers(1, 20), rounding_base=st.integers(1, 10)
)


def table(rows, total, rules=RULES):
    return ProtectedTable(dict(rows), total, rules)


# --- Periods ----------------------------------------------------------------------------------


def test_quarters_run_april_to_june_through_january_to_march_with_fy_labels():
    q1, q2, q3, q4 = FY.quarters()
    assert (q1.start, q1.end, q1.label) == (date(2025, 4, 1), date(2025, 6, 30), "2025-26 Q1")
    assert (q2.start, q2.end) == (date(2025, 7, 1), date(2025, 9, 30))
    assert (q3.start, q3.end) == (date(2025, 10, 1), date(2025, 12, 31))
    assert (q4.start, q4.end, q4.label) == (date(2026, 1, 1), date(2026, 3, 31), "2025-26 Q4")
    assert (FY.start, FY.end, FY.label, FY.kind) == (
        date(2025, 4, 1),
        date(2026, 3, 31),
        "2025-26",
        "year",
    )
    assert Period(1999).label == "1999-00"


def test_a_quarter_ending_30_june_is_released_on_1_july_and_not_on_30_june():
    q1 = Period(2025, 1)
    assert not is_completed(q1, date(2025, 6, 30))
    assert is_completed(q1, date(2025, 7, 1))


def test_a_financial_year_is_completed_only_once_31_march_has_passed():
    assert not is_completed(FY, date(2026, 3, 31))
    assert is_completed(FY, date(2026, 4, 1))


def test_period_for_puts_31_march_and_1_april_in_different_financial_years():
    assert period_for(date(2026, 3, 31), "quarter") == Period(2025, 4)
    assert period_for(date(2026, 3, 31), "year") == Period(2025)
    assert period_for(date(2026, 4, 1), "quarter") == Period(2026, 1)
    assert period_for(date(2026, 4, 1), "year").label == "2026-27"


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_every_date_lies_in_the_quarter_and_year_found_for_it(d):
    quarter, year = period_for(d, "quarter"), period_for(d, "year")
    assert quarter.start <= d <= quarter.end
    assert year.start <= d <= year.end
    assert quarter in year.quarters()


def test_completed_periods_list_each_quarter_before_its_year_and_skip_unfinished_ones():
    since = date(2025, 5, 10)  # service started in the middle of Q1
    assert completed_periods(date(2025, 6, 30), since) == []
    assert completed_periods(date(2025, 7, 1), since) == [Period(2025, 1)]
    assert [p.label for p in completed_periods(date(2026, 4, 1), since)] == [
        "2025-26 Q1",
        "2025-26 Q2",
        "2025-26 Q3",
        "2025-26 Q4",
        "2025-26",
    ]
    assert completed_periods(date(2026, 7, 1), date(2026, 4, 1)) == [Period(2026, 1)]


def test_labels_read_back_into_periods_and_malformed_labels_are_refused():
    for period in [FY, *FY.quarters()]:
        assert Period.from_label(period.label) == period
    for bad in ["2025-27", "2025-26 Q5", "2025/26", "2025-26 q1", ""]:
        with pytest.raises(ValueError):
            Period.from_label(bad)
    with pytest.raises(ValueError):
        Period(2025, 5)


# --- Rules and display ------------------------------------------------------------------------


@pytest.mark.parametrize(("threshold", "base"), [(0, 5), (10, 0), (-1, 5), (True, 5), (10.0, 5)])
def test_rules_refuse_anything_but_whole_numbers_of_at_least_one(threshold, base):
    with pytest.raises(ValueError):
        DisclosureRules(threshold, base)


def test_suppressed_figures_show_as_c_and_the_total_row_comes_last():
    released = table({"IDVA": 30, "ISVA": None, "not sure": None}, 40)
    assert released.to_rows() == [
        ("IDVA", "30"),
        ("ISVA", "[c]"),
        ("not sure", "[c]"),
        (TOTAL, "40"),
    ]
    assert display(None) == "[c]"


# --- One-way tables: worked by hand -----------------------------------------------------------


def test_small_counts_and_zeros_are_suppressed_and_the_rest_rounded_half_up():
    released = protect_one_way({"a": 12, "b": 13, "c": 3, "d": 0, "e": 47})
    assert released.rows == {"a": 10, "b": 15, "c": None, "d": None, "e": 45}
    assert released.total == 75
    # c and d together lie in 0..11: 77 at most in total, less 10 + 13 + 43 at least elsewhere
    assert feasible_intervals(released, RULES) == {"c": (0, 11), "d": (0, 11)}


def test_the_total_is_rounded_from_the_true_total_not_summed_from_rounded_cells():
    released = protect_one_way({"a": 12, "b": 12, "c": 12})
    assert released.rows == {"a": 10, "b": 10, "c": 10}
    assert released.total == 35


def test_a_lone_suppressed_cell_takes_the_next_smallest_cell_with_it():
    released = protect_one_way({"yes": 25, "no": 15, "prefer not to say": 0})
    assert released.rows == {"yes": 25, "no": None, "prefer not to say": None}
    assert released.total == 40


def test_a_table_with_one_small_category_withholds_its_total_too():
    assert protect_one_way({"only": 7}) == table({"only": None}, None)
    assert protect_one_way({"only": 70}) == table({"only": 70}, 70)


def test_suppression_continues_until_an_attacker_who_knows_the_algorithm_learns_nothing():
    # Withholding A (5) and the next smallest, B (12), looks enough, but the attacker knows a
    # withheld cell is never larger than a released one (C is 10..12), and A + B is 16..22,
    # so each of A and B is at least 4: "someone in group A referred". So C goes too.
    naive = table({"A": None, "B": None, "C": 10}, 30)
    assert validate_one_way(naive, RULES) == [
        f"{k}: can be shown to be at least 4, so the group is not empty" for k in "AB"
    ]
    assert protect_one_way({"A": 5, "B": 12, "C": 12}) == table(
        {"A": None, "B": None, "C": None}, 30
    )


def test_tables_need_categories_and_may_not_name_one_total():
    for bad in [{}, {TOTAL: 40}, {"a": -1}, {"a": 2.0}]:
        with pytest.raises(ValueError):
            protect_one_way(bad)


# --- One-way tables: properties ---------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(counts=counts_strategy, rules=rules_strategy)
def test_every_released_figure_is_a_true_count_of_at_least_the_threshold_rounded(counts, rules):
    released = protect_one_way(counts, rules)
    b = rules.rounding_base
    for name, value in [*released.rows.items(), (TOTAL, released.total)]:
        true = sum(counts.values()) if name == TOTAL else counts[name]
        if value is not None:
            assert true >= rules.threshold
            assert value % b == 0
            assert value - b / 2 <= true < value + b / 2
    assert validate_one_way(released, rules) == []


@settings(max_examples=300, deadline=None)
@given(counts=counts_strategy)
def test_with_the_default_rules_nothing_released_is_under_10_or_off_a_multiple_of_5(counts):
    released = protect_one_way(counts)
    figures = [v for v in [*released.rows.values(), released.total] if v is not None]
    assert all(v >= 10 and v % 5 == 0 for v in figures)


@settings(max_examples=300, deadline=None)
@given(counts=counts_strategy, rules=rules_strategy)
def test_the_attacker_never_proves_a_small_suppressed_cell_non_empty_or_narrows_it(counts, rules):
    released = protect_one_way(counts, rules)
    t, b = rules.threshold, rules.rounding_base
    for name, (lo, hi) in feasible_intervals(released, rules).items():
        true = sum(counts.values()) if name == TOTAL else counts[name]
        assert lo <= true and (hi is None or true <= hi)  # the solver is sound
        assert lo == 0 or lo >= t  # non-empty only ever proven for a large group
        if lo == 0:
            assert hi is None or hi >= b  # never narrower than 0..base
        if true < t:
            assert lo == 0 and (hi is None or hi - lo >= b)  # hence never pinned to one value


def brute_force_intervals(released, rules):
    """Every table that explains the release, enumerated; the projection onto each cell."""
    boxes = _cell_boxes(released, rules)
    t_lo, t_hi = _total_box(released, rules)
    cap = t_hi if t_hi is not None else 50  # no cell exceeds the total
    ranges = [range(lo, (cap if hi is None else hi) + 1) for lo, hi in boxes.values()]
    seen = {k: set() for k in boxes}
    for values in itertools.product(*ranges):
        if t_lo <= sum(values) and (t_hi is None or sum(values) <= t_hi):
            for k, v in zip(boxes, values, strict=True):
                seen[k].add(v)
    return {k: (min(seen[k]), max(seen[k])) for k, v in released.rows.items() if v is None}


@settings(max_examples=40, deadline=None)
@given(
    counts=st.lists(st.integers(0, 14), min_size=2, max_size=3).map(
        lambda xs: {f"g{i}": x for i, x in enumerate(xs)}
    )
)
def test_the_solver_is_exact_on_tables_small_enough_to_enumerate(counts):
    released = protect_one_way(counts)
    assume(released.total is not None)  # else the intervals are unbounded above
    solved = feasible_intervals(released, RULES)
    solved.pop(TOTAL, None)
    assert solved == brute_force_intervals(released, RULES)


@settings(max_examples=80, deadline=None)
@given(counts=counts_strategy.filter(lambda c: len(c) <= 6), rules=rules_strategy)
def test_the_flow_solver_agrees_with_interval_arithmetic_on_one_way_tables(counts, rules):
    released = protect_one_way(counts, rules)
    unknown_whole = ProtectedTable(dict.fromkeys(released.rows), None, rules)
    arcs = _joint_arcs({"only": released}, unknown_whole, "whole", rules)
    for name, interval in feasible_intervals(released, rules).items():
        assert _exact_interval(arcs, ("only", name)) == interval


# --- Validation at intake ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "total", "problem"),
    [
        ({"a": 3, "b": 50}, 55, "a: 3 is not a count rounded to a multiple of 5"),
        ({"a": 5, "b": 50}, 55, "a: 5 is under the threshold of 10"),
        ({"a": 12, "b": 50}, 60, "a: 12 is not a count rounded to a multiple of 5"),
        ({"a": 50, "b": 50}, 5, "Total: 5 is under the threshold of 10"),
        ({"a": "10", "b": 50}, 60, "a: '10' is not a count rounded to a multiple of 5"),
        ({"a": True, "b": 50}, 50, "a: True is not a count rounded to a multiple of 5"),
        (
            {"a": None, "b": 50, "c": 40},
            95,
            "a: the only suppressed cell, so the total gives it away",
        ),
        ({"a": None, "b": None, "c": 50}, 50, "a: can be narrowed to 0-4"),
        ({"a": 50, "b": 50}, 20, "the released cells and total contradict each other"),
    ],
)
def test_intake_refuses_hand_made_bad_tables(rows, total, problem):
    assert problem in validate_one_way(table(rows, total), RULES)


def test_intake_refuses_a_table_made_under_other_rules():
    lax = DisclosureRules(threshold=5, rounding_base=1)
    problems = validate_one_way(protect_one_way({"a": 7, "b": 8}, lax), RULES)
    assert problems[0].startswith("made with DisclosureRules(threshold=5")


def test_intake_accepts_a_fully_suppressed_table():
    assert validate_one_way(table({"a": None, "b": None}, None), RULES) == []


# --- A year and its quarters ------------------------------------------------------------------


def release_quarters(quarter_counts, rules=RULES):
    return {
        q: protect_one_way(c, rules) for q, c in zip(FY.quarters(), quarter_counts, strict=True)
    }


def year_of(quarter_counts):
    return {k: sum(c[k] for c in quarter_counts) for k in quarter_counts[0]}


def test_a_year_released_on_its_own_would_give_away_a_small_cell_of_one_quarter():
    counts = [{"x": 22, "y": 3, "z": 30}] + [{"x": 22, "y": 22, "z": 30}] * 3
    quarters = release_quarters(counts)
    alone = protect_one_way(year_of(counts))
    assert alone.rows == {"x": 90, "y": 70, "z": 120}  # nothing small in the year itself...
    # ...but y's year (68..72) less three quarters of 18..22 leaves Q1's y at 2..18.
    assert family_problems(quarters, alone, RULES) == [
        "2025-26 Q1 y: can be shown to be at least 2, so the group is not empty"
    ]
    year = protect_year(year_of(counts), quarters)
    assert year == table({"x": None, "y": None, "z": 120}, 275)
    assert family_problems(quarters, year, RULES) == []


def test_a_small_first_quarter_is_covered_by_withholding_only_the_year_total():
    counts = [{"a": 5, "b": 3}] + [{"a": 25, "b": 15}] * 3  # the service opened late in Q1
    quarters = release_quarters(counts)
    assert quarters[Period(2025, 1)].total is None
    year = protect_year(year_of(counts), quarters)
    assert year == table({"a": 80, "b": 50}, None)


quarter_strategy = st.integers(1, 4).flatmap(
    lambda k: st.lists(
        st.lists(st.one_of(st.integers(0, 12), st.integers(0, 60)), min_size=k, max_size=k).map(
            lambda xs: {f"g{i}": x for i, x in enumerate(xs)}
        ),
        min_size=4,
        max_size=4,
    )
)


@settings(max_examples=60, deadline=None)
@given(quarter_counts=quarter_strategy)
def test_a_protected_year_leaves_every_suppressed_figure_in_its_family_safe(quarter_counts):
    quarters = release_quarters(quarter_counts)
    year = protect_year(year_of(quarter_counts), quarters)
    assert family_problems(quarters, year, RULES) == []
    assert validate_one_way(year, RULES) == []
    # and the joint solver is sound: each true quarterly count lies in its interval
    arcs = _joint_arcs({q.label: t for q, t in quarters.items()}, year, FY.label, RULES)
    for quarter, counts in zip(FY.quarters(), quarter_counts, strict=True):
        for name, true in counts.items():
            if quarters[quarter].rows[name] is None:
                lo, hi = _exact_interval(arcs, (quarter.label, name))
                assert lo <= true and (hi is None or true <= hi)


@settings(max_examples=30, deadline=None)
@given(
    quarter_counts=st.integers(1, 4).flatmap(
        lambda k: st.lists(
            st.lists(st.integers(10, 100), min_size=k, max_size=k).map(
                lambda xs: {f"g{i}": x for i, x in enumerate(xs)}
            ),
            min_size=4,
            max_size=4,
        )
    )
)
def test_a_year_whose_quarters_were_released_in_full_is_released_in_full(quarter_counts):
    quarters = release_quarters(quarter_counts)
    assert all(None not in t.rows.values() and t.total is not None for t in quarters.values())
    year = protect_year(year_of(quarter_counts), quarters)
    assert year == protect_one_way(year_of(quarter_counts))
    assert None not in year.rows.values()


def test_a_family_is_one_financial_year_of_quarters():
    q = protect_one_way({"a": 50})
    with pytest.raises(ValueError):
        family_problems({Period(2025, 1): q, Period(2026, 1): q}, q, RULES)
    with pytest.raises(ValueError):
        family_problems({Period(2025, 1): protect_one_way({"b": 50})}, q, RULES)


# --- Differencing -----------------------------------------------------------------------------


def test_releases_of_52_and_then_53_reveal_the_category_of_the_referral_added_between():
    # Why a period's table is released once and never revised: independent rounding alone
    # does not hide a single referral that crosses a rounding boundary.
    before = protect_one_way({"x": 52, "y": 50})
    after = protect_one_way({"x": 53, "y": 50})
    assert (before.rows, after.rows) == ({"x": 50, "y": 50}, {"x": 55, "y": 50})
    expected = ["x: at least 1 of the added referrals proven to be in it"]
    assert differencing_check(before, after, RULES, known_difference=1) == expected
    assert differencing_check(before, after, RULES) == expected


def test_a_whole_quarter_added_between_releases_is_not_reported_as_a_small_difference():
    q1 = protect_one_way({"x": 30, "y": 40})
    both = protect_one_way({"x": 60, "y": 80})
    assert differencing_check(q1, both, RULES) == []


def candidates(before, after, rules):
    """Brute force: each category the one added referral could be in, given both releases."""

    def meet(box, other, shift):
        # values in `box` that are also in `other` once `shift` is taken off it
        his = [h for h in (box[1], None if other[1] is None else other[1] - shift) if h is not None]
        return max(box[0], other[0] - shift), min(his) if his else None

    found = []
    a_boxes, b_boxes = _cell_boxes(before, rules), _cell_boxes(after, rules)
    total = meet(_total_box(before, rules), _total_box(after, rules), 1)
    for j in before.rows:
        boxes = [meet(a_boxes[k], b_boxes[k], int(k == j)) for k in before.rows]
        lo, his = sum(lo for lo, _ in boxes), [hi for _, hi in boxes]
        hi = None if None in his else sum(his)
        nonempty = all(h is None or lo <= h for lo, h in [*boxes, total])
        if nonempty and (total[1] is None or lo <= total[1]) and (hi is None or hi >= total[0]):
            found.append(j)
    return found


one_added = counts_strategy.filter(lambda c: len(c) <= 8).flatmap(
    lambda c: st.tuples(st.just(c), st.sampled_from(sorted(c)))
)


@settings(max_examples=300, deadline=None)
@given(case=one_added)
def test_identical_releases_of_tables_one_referral_apart_leave_every_category_possible(case):
    counts, added = case
    assume(len(counts) >= 2)  # with one category there is nothing to hide
    before = protect_one_way(counts)
    after = protect_one_way({**counts, added: counts[added] + 1})
    assume(before == after)
    assert candidates(before, after, RULES) == list(counts)
    assert differencing_check(before, after, RULES, known_difference=1) == []


@settings(max_examples=300, deadline=None)
@given(case=one_added, rules=rules_strategy.filter(lambda r: r.threshold >= 2))
def test_differencing_check_reports_exactly_the_pairs_that_reveal_the_added_referral(case, rules):
    counts, added = case
    before = protect_one_way(counts, rules)
    after = protect_one_way({**counts, added: counts[added] + 1}, rules)
    possible = candidates(before, after, rules)
    assert added in possible
    reported = differencing_check(before, after, rules, known_difference=1)
    assert bool(reported) == (possible == [added])
    assert all(line.startswith(f"{added}:") for line in reported)


# --- Summary measures -------------------------------------------------------------------------


def test_a_median_needs_at_least_threshold_values():
    assert median_or_none([3] * 9, RULES) is None
    assert median_or_none([1, 2, 2, 3, 3, 4, 5, 8, 9, 20], RULES) == 3.5


@pytest.mark.parametrize(
    ("numerator", "denominator", "percentage"),
    [
        (5, 9, None),  # too few people
        (20, 20, None),  # 100% says something about everyone
        (0, 40, None),  # and so does 0%
        (38, 40, None),  # 95% of 40 points at the two who were not
        (2, 40, None),
        (12, 22, 55),  # 54.5 rounds half up
        (30, 40, 75),
        (10, 30, 33),
    ],
)
def test_a_percentage_is_released_only_when_both_groups_it_describes_are_large(
    numerator, denominator, percentage
):
    assert percentage_or_none(numerator, denominator, RULES) == percentage


def test_a_year_percentage_is_withheld_when_any_quarter_percentage_was():
    quarters = [(30, 40), (20, 30), (15, 30), (25, 35)]
    assert year_percentage_or_none(quarters, RULES) == 67  # 90 of 135
    quarters[3] = (34, 35)  # 97% of 35 points at one person, so the year must not tell either
    assert year_percentage_or_none(quarters, RULES) is None


def test_the_module_offers_no_minimum_or_maximum_summary():
    public = [n.lower() for n in vars(disclosure) if not n.startswith("_")]
    words = ("min", "max", "lowest", "highest", "largest", "smallest", "range", "extreme")
    assert [n for n in public if any(w in n for w in words)] == []
