"""Disclosure control for every figure the police side may see (DESIGN.md G5, G6 and section 7).

One module for both apps: the provider console builds its quarterly statistical return with
it, intake checks that return with it before DPS can see it, and the standards pages release
intake's own measured tables with it. Plain functions over plain data; no Flask.

The attacker is a DPS analyst who knows these rules and this code, knows a great deal about
colleagues, and combines every figure ever released.

One-way tables (a count per category and a total). Two-way tables are never released.
1. Primary suppression: a count under the threshold is withheld (None, shown "[c]"), zero
   included: "nobody in this group referred" can be as telling as "one did".
2. Rounding: every released count, the total too, is rounded half up to the rounding base.
   The total is rounded from the true total, never summed from rounded cells.
3. Secondary suppression: with the total released there is never exactly one suppressed cell,
   and more cells (smallest first, the total last) are withheld until every suppressed cell
   is safe from `feasible_intervals`, the attacker's solver.

What the solver knows: counts are whole numbers >= 0; a released figure r means the true value
rounds to r and is at least the threshold; the total bounds the sum; and, since the attacker
knows this algorithm, no suppressed cell is larger than any released cell of its table. Those
facts are a box per cell plus one sum, so interval arithmetic is exact: every whole number in
an interval is that cell's value in some table that explains everything released. A
suppressed cell is safe if its interval either starts at 0 and reaches `withheld_reach` (the
attacker cannot rule out that nobody is in the group, nor narrow it below what "[c]" promises:
0 to threshold - 1, and never less than rounding would hide)
or starts at the threshold or above (it only shows the group is large, as releasing it would).
The solver leaves out one non-linear fact, that some suppressed cell is under the threshold:
any table with a 0 in a suppressed cell satisfies it, so "could be empty" still holds.

Differencing. Rounding alone does not defeat it: releases of 52 and then 53 referrals in a
category come out as 50 and 55, and anyone who knows that one referral was added in between
learns its category (`differencing_check` finds exactly such pairs; the tests show one). When
the two releases come out identical every category stays possible, as long as the rounding
base is at least 2 and the threshold does not sit at the top of a rounding window (10 and 5
qualify; 12 and 5 do not: a released 10 would then mean exactly 12). So:
- Periods are fixed quarters and financial years, released only once complete, once, and never
  revised: no rolling windows, no second version of a table to subtract. Output is
  deterministic, so asking again gives nothing new.
- The only populations that nest are a year and its quarters. `protect_year` starts from the
  year table on its own and withholds more year figures until `family_problems` (the same
  attacker, solving the year and its already released quarters together, exactly, as a flow
  problem) finds every suppressed figure in all five tables safe. A fully suppressed year adds
  nothing to the quarters, which were safe, so this always ends.
- Percentages are released only when the numerator and its complement both reach the
  threshold, so they only ever describe large groups; a year percentage only when every
  quarter's was released, so no small group in the family is left to find by subtraction.
  Medians need at least threshold values. Minimum and maximum are never released.
- Anything else that nests (say, intake's count of referrals and a provider return that also
  counts phone referrals) is checked before release by the release audit
  (app.release_audit, with the cross-source links of app.release_facts: the provider's
  "online" cases are intake's received less withdrawn, each outcome at least intake's
  closures). Those links, solved with every released table at once, replace
  `differencing_check` at release; it stays as the exact two-table check the tests use to
  show what differencing can reveal.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

PeriodKind = Literal["quarter", "year"]
Bound = tuple[int, int | None]  # inclusive; None means no upper bound
TOTAL = "Total"

# --- Periods ----------------------------------------------------------------------------------

_QUARTER_START = {1: (0, 4), 2: (0, 7), 3: (0, 10), 4: (1, 1)}  # (years after FY start, month)
_LABEL = re.compile(r"(\d{4})-(\d{2})(?: Q([1-4]))?")


@dataclass(frozen=True)
class Period:
    """A UK financial year (April to March) or one of its quarters (Q1 = April to June)."""

    fy: int  # the calendar year the financial year starts in: 2025 for 2025-26
    quarter: int | None = None  # 1 to 4, or None for the whole year

    def __post_init__(self) -> None:
        if self.quarter not in (None, 1, 2, 3, 4):
            raise ValueError("quarter must be 1 to 4, or None for the whole year")

    @classmethod
    def from_label(cls, label: str) -> Period:
        match = _LABEL.fullmatch(label)
        if not match or int(match[2]) != (int(match[1]) + 1) % 100:
            raise ValueError(f"not a period label: {label!r}")
        return cls(int(match[1]), int(match[3]) if match[3] else None)

    @property
    def kind(self) -> PeriodKind:
        return "year" if self.quarter is None else "quarter"

    @property
    def label(self) -> str:
        year = f"{self.fy}-{(self.fy + 1) % 100:02d}"
        return year if self.quarter is None else f"{year} Q{self.quarter}"

    @property
    def start(self) -> date:
        years, month = _QUARTER_START[self.quarter or 1]
        return date(self.fy + years, month, 1)

    @property
    def end(self) -> date:
        if self.quarter in (None, 4):
            return date(self.fy + 1, 3, 31)
        return Period(self.fy, self.quarter + 1).start - timedelta(days=1)

    def quarters(self) -> list[Period]:
        return [Period(self.fy, q) for q in (1, 2, 3, 4)]


def period_for(d: date, kind: PeriodKind) -> Period:
    fy = d.year if d.month >= 4 else d.year - 1
    return Period(fy) if kind == "year" else Period(fy, (d.month - 4) % 12 // 3 + 1)


def is_completed(period: Period, today: date) -> bool:
    # Only a finished period is released: a running count would move with each referral.
    return today > period.end


def completed_periods(today: date, since: date) -> list[Period]:
    """Completed quarters and years that end on or after `since`, oldest first.

    A year follows its fourth quarter, which is the order they must be released in.
    """
    periods: list[Period] = []
    year = period_for(since, "year")
    while year.start < today:
        periods += [q for q in year.quarters() if q.end >= since and is_completed(q, today)]
        periods += [year] if is_completed(year, today) else []
        year = Period(year.fy + 1)
    return periods


# --- Rules and tables -------------------------------------------------------------------------


@dataclass(frozen=True)
class DisclosureRules:
    threshold: int = 10
    rounding_base: int = 5

    def __post_init__(self) -> None:
        for name in ("threshold", "rounding_base"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1")


@dataclass(frozen=True)
class ProtectedTable:
    """A released one-way table: None marks a suppressed figure."""

    rows: dict[str, int | None]
    total: int | None
    rules: DisclosureRules

    def to_rows(self) -> list[tuple[str, str]]:
        return [(k, display(v)) for k, v in self.rows.items()] + [(TOTAL, display(self.total))]


def display(cell: int | None) -> str:
    return "[c]" if cell is None else str(cell)  # "[c]": the ONS mark for "confidential"


def _round(n: int, base: int) -> int:
    return (2 * n + base) // (2 * base) * base  # half up, in integers


def _released_box(value: int, rules: DisclosureRules) -> tuple[int, int]:
    # The true counts that round to `value` and could have been released (>= threshold).
    b = rules.rounding_base
    return max(value - b // 2, rules.threshold), value + (b - 1) // 2


def _cell_boxes(table: ProtectedTable, rules: DisclosureRules) -> dict[str, Bound]:
    boxes = {k: _released_box(v, rules) for k, v in table.rows.items() if v is not None}
    # Suppression goes smallest first, so no suppressed cell exceeds any released one.
    cap = min((hi for _, hi in boxes.values()), default=None)
    return {k: boxes.get(k, (0, cap)) for k in table.rows}


def _total_box(table: ProtectedTable, rules: DisclosureRules) -> Bound:
    return (0, None) if table.total is None else _released_box(table.total, rules)


def _upper_sum(bounds: Iterable[Bound]) -> int | None:
    his = [hi for _, hi in bounds]
    return None if None in his else sum(h for h in his if h is not None)


def withheld_reach(rules: DisclosureRules) -> int:
    """How high a withheld count that could be 0 must still be able to go.

    One rule for every check, table by table here and of everything together in the release
    audit (app.release_audit): "[c]" promises any of 0 to threshold - 1, and never less
    than rounding would hide (0 to the rounding base)."""
    return max(rules.rounding_base, rules.threshold - 1)


def _interval_problem(lo: int, hi: int | None, rules: DisclosureRules) -> str | None:
    if lo >= rules.threshold:
        return None  # known to be a large group, as a released figure would say
    if lo > 0:
        return f"can be shown to be at least {lo}, so the group is not empty"
    if hi is not None and hi < withheld_reach(rules):
        return f"can be narrowed to 0-{hi}"
    return None


# --- One-way tables ---------------------------------------------------------------------------


def protect_one_way(
    counts: Mapping[str, int], rules: DisclosureRules | None = None
) -> ProtectedTable:
    rules = rules or DisclosureRules()
    if not counts or TOTAL in counts:
        raise ValueError(f"need at least one category, and {TOTAL!r} is reserved for the total")
    if any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in counts.values()):
        raise ValueError("counts must be whole numbers of at least 0")
    t, b = rules.threshold, rules.rounding_base
    total = sum(counts.values())
    table = ProtectedTable(
        {k: _round(c, b) if c >= t else None for k, c in counts.items()},
        _round(total, b) if total >= t else None,
        rules,
    )
    return _complete(counts, table, rules)


def _suppress_smallest(counts: Mapping[str, int], table: ProtectedTable) -> ProtectedTable | None:
    released = sorted((counts[k], k) for k, v in table.rows.items() if v is not None)
    if released:
        return replace(table, rows={**table.rows, released[0][1]: None})
    return replace(table, total=None) if table.total is not None else None


def _complete(
    counts: Mapping[str, int], table: ProtectedTable, rules: DisclosureRules
) -> ProtectedTable:
    while _suppression_problems(table, rules):
        more = _suppress_smallest(counts, table)
        if more is None:  # cannot happen: a fully suppressed table has nothing to derive
            raise RuntimeError("a fully suppressed table still has problems")
        table = more
    return table


def feasible_intervals(released: ProtectedTable, rules: DisclosureRules) -> dict[str, Bound]:
    """The attacker's exact interval for each suppressed figure (the total under TOTAL)."""
    boxes = _cell_boxes(released, rules)
    t_lo, t_hi = _total_box(released, rules)
    lo_sum, hi_sum = sum(lo for lo, _ in boxes.values()), _upper_sum(boxes.values())
    if (t_hi is not None and lo_sum > t_hi) or (hi_sum is not None and hi_sum < t_lo):
        raise ValueError("the released cells and total contradict each other")
    intervals: dict[str, Bound] = {}
    for k in (k for k, v in released.rows.items() if v is None):
        lo, hi = boxes[k]
        others = [box for j, box in boxes.items() if j != k]
        others_hi = _upper_sum(others)
        if others_hi is not None:
            lo = max(lo, t_lo - others_hi)
        if t_hi is not None:
            rest = t_hi - sum(o_lo for o_lo, _ in others)
            hi = rest if hi is None else min(hi, rest)
        intervals[k] = (lo, hi)
    if released.total is None:
        intervals[TOTAL] = (lo_sum, hi_sum)
    return intervals


def _suppression_problems(table: ProtectedTable, rules: DisclosureRules) -> list[str]:
    suppressed = [k for k, v in table.rows.items() if v is None]
    problems = []
    if table.total is not None and len(suppressed) == 1:
        problems.append(f"{suppressed[0]}: the only suppressed cell, so the total gives it away")
    try:
        intervals = feasible_intervals(table, rules)
    except ValueError as error:
        return [*problems, str(error)]
    for name, (lo, hi) in intervals.items():
        if problem := _interval_problem(lo, hi, rules):
            problems.append(f"{name}: {problem}")
    return problems


def validate_one_way(table: ProtectedTable, rules: DisclosureRules) -> list[str]:
    """Why `table` may not be released under `rules` (intake's own rules, not the table's)."""
    problems = []
    if table.rules != rules:
        problems.append(f"made with {table.rules}, not {rules}")
    if TOTAL in table.rows:
        problems.append(f"{TOTAL!r} is reserved for the total row")
    t, b = rules.threshold, rules.rounding_base
    for name, value in [*table.rows.items(), (TOTAL, table.total)]:
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value % b:
            problems.append(f"{name}: {value!r} is not a count rounded to a multiple of {b}")
        elif value + (b - 1) // 2 < t:
            problems.append(f"{name}: {value} is under the threshold of {t}")
    # The solver needs well-formed figures, so it runs only once the figures themselves pass.
    return problems or _suppression_problems(table, rules)


# --- Releases that overlap: a year and its quarters, or two releases of nested groups ---------
# The attacker's knowledge becomes a table of categories x parts with known row sums (the
# whole), column sums (each part's total) and a grand total, each within a box. That is a
# flow network (rows -> columns), whose constraint matrix is totally unimodular, so a
# circulation with bounds is feasible exactly when a table of whole numbers is: feasibility
# by max-flow answers "can this figure be 0?" exactly.

Node = tuple[str, ...]
Arc = tuple[Node, Node, int, int | None]
_SOURCE, _SINK, _SUPPLY, _DEMAND = ("source",), ("sink",), ("supply",), ("demand",)


def _joint_arcs(
    parts: Mapping[str, ProtectedTable | None],
    whole: ProtectedTable,
    whole_label: str,
    rules: DisclosureRules,
    unreleased_total: Bound = (0, None),
) -> dict[tuple[str, str], Arc]:
    """Arcs keyed by (table label, category or TOTAL); a None part was never released."""
    categories = list(whole.rows)
    if any(p is not None and list(p.rows) != categories for p in parts.values()):
        raise ValueError("every table in a family must have the same categories")
    arcs: dict[tuple[str, str], Arc] = {}
    arcs[whole_label, TOTAL] = (_SINK, _SOURCE, *_total_box(whole, rules))
    for k, box in _cell_boxes(whole, rules).items():
        arcs[whole_label, k] = (_SOURCE, ("row", k), *box)
    for label, part in parts.items():
        boxes = _cell_boxes(part, rules) if part else dict.fromkeys(categories, (0, None))
        total = _total_box(part, rules) if part else unreleased_total
        arcs[label, TOTAL] = (("column", label), _SINK, *total)
        for k, box in boxes.items():
            arcs[label, k] = (("row", k), ("column", label), *box)
    return arcs


def _feasible(arcs: Iterable[Arc]) -> bool:
    # Circulation with lower bounds, by the textbook reduction to one max-flow.
    arcs = list(arcs)
    unbounded = 1 + sum(lo + (hi or 0) for *_, lo, hi in arcs)  # more than any flow can use
    residual: dict[Node, dict[Node, int]] = defaultdict(lambda: defaultdict(int))
    excess: dict[Node, int] = defaultdict(int)
    for u, v, lo, hi in arcs:
        if hi is not None and hi < lo:
            return False
        residual[u][v] += unbounded if hi is None else hi - lo
        residual[v][u] += 0
        excess[v] += lo
        excess[u] -= lo
    for node, e in excess.items():
        residual[_SUPPLY][node] += max(e, 0)
        residual[node][_DEMAND] += max(-e, 0)
        residual[node][_SUPPLY] += 0
        residual[_DEMAND][node] += 0
    return _max_flow(residual) == sum(e for e in excess.values() if e > 0)


def _max_flow(residual: dict[Node, dict[Node, int]]) -> int:
    flow = 0
    while True:  # Edmonds-Karp: the graphs here have a few dozen arcs
        parent: dict[Node, Node | None] = {_SUPPLY: None}
        queue: deque[Node] = deque([_SUPPLY])
        while queue and _DEMAND not in parent:
            u = queue.popleft()
            for v, capacity in residual[u].items():
                if capacity > 0 and v not in parent:
                    parent[v] = u
                    queue.append(v)
        if _DEMAND not in parent:
            return flow
        path: list[tuple[Node, Node]] = []
        v = _DEMAND
        while (previous := parent[v]) is not None:
            path.append((previous, v))
            v = previous
        push = min(residual[u][v] for u, v in path)
        for u, v in path:
            residual[u][v] -= push
            residual[v][u] += push
        flow += push


def _feasible_with(
    arcs: dict[tuple[str, str], Arc], key: tuple[str, str], lo: int, hi: int | None
) -> bool:
    u, v, a_lo, a_hi = arcs[key]
    new_hi = a_hi if hi is None else hi if a_hi is None else min(a_hi, hi)
    return _feasible({**arcs, key: (u, v, max(a_lo, lo), new_hi)}.values())


def _exact_interval(arcs: dict[tuple[str, str], Arc], key: tuple[str, str]) -> Bound | None:
    """The exact interval of one figure, by bisection on feasibility; None if contradictory."""
    if not _feasible(arcs.values()):
        return None
    _, _, lo, hi = arcs[key]
    # A bounded extreme is reached at a vertex of the flow polytope, and a vertex's flows are
    # sums of finite bounds, so every bounded extreme lies below `beyond`.
    beyond = 1 + sum(a + (b or 0) for *_, a, b in arcs.values())
    top = beyond if hi is None else hi
    while lo < top:  # the smallest value it can take
        mid = (lo + top) // 2
        lo, top = (lo, mid) if _feasible_with(arcs, key, 0, mid) else (mid + 1, top)
    smallest = lo
    if hi is None and _feasible_with(arcs, key, beyond, None):
        return smallest, None
    top = beyond if hi is None else hi
    while lo < top:  # the largest value it can take
        mid = (lo + top + 1) // 2
        lo, top = (mid, top) if _feasible_with(arcs, key, mid, None) else (lo, mid - 1)
    return smallest, lo


def _joint_problem(
    arcs: dict[tuple[str, str], Arc], key: tuple[str, str], rules: DisclosureRules
) -> str | None:
    # The same test as _interval_problem, asked as two feasibility questions instead of
    # computing the whole interval; the interval is computed only to word a problem.
    if _feasible_with(arcs, key, 0, 0):
        if _feasible_with(arcs, key, withheld_reach(rules), None):
            return None
    elif not _feasible_with(arcs, key, 0, rules.threshold - 1):
        return None
    lo, hi = _exact_interval(arcs, key) or (0, None)
    return _interval_problem(lo, hi, rules)


def family_problems(
    quarters: Mapping[Period, ProtectedTable], year: ProtectedTable, rules: DisclosureRules
) -> list[str]:
    """What the year's table and its released quarters give away together."""
    years = {p.fy for p in quarters}
    if len(years) != 1 or any(p.kind != "quarter" for p in quarters):
        raise ValueError("give the released quarters of one financial year")
    parts = {p.label: table for p, table in quarters.items()}
    whole_label = Period(years.pop()).label
    arcs = _joint_arcs(parts, year, whole_label, rules)
    if not _feasible(arcs.values()):
        return ["the year's figures contradict its quarters'"]
    suppressed = [
        (label, k)
        for label, table in [*parts.items(), (whole_label, year)]
        for k, v in [*table.rows.items(), (TOTAL, table.total)]
        if v is None
    ]
    problems = []
    for key in suppressed:
        if problem := _joint_problem(arcs, key, rules):
            problems.append(f"{key[0]} {key[1]}: {problem}")
    return problems


def protect_year(
    year_counts: Mapping[str, int],
    quarters: Mapping[Period, ProtectedTable],
    rules: DisclosureRules | None = None,
) -> ProtectedTable:
    """The year's table, safe alongside its quarters (release every quarter first)."""
    rules = rules or DisclosureRules()
    table = protect_one_way(year_counts, rules)
    problems = family_problems(quarters, table, rules)
    while problems:
        # Withhold the smallest year cell or the year total, whichever leaves fewer problems
        # (ties go to the cell): a small first quarter is best hidden by the total alone.
        # Cells still go smallest first, which the attacker's model relies on.
        options = [
            _complete(year_counts, option, rules)
            for option in (_suppress_smallest(year_counts, table), replace(table, total=None))
            if option is not None and option != table
        ]
        if not options:
            # What is left was implied by the quarters already released (a quarter the
            # release audit withheld more of, out of smallest-first order, breaks the cap this
            # model assumes); a fully suppressed year adds nothing to them.
            return table
        scored = [(option, family_problems(quarters, option, rules)) for option in options]
        table, problems = min(scored, key=lambda scored_option: len(scored_option[1]))
    return table


def differencing_check(
    a: ProtectedTable,
    b: ProtectedTable,
    rules: DisclosureRules,
    known_difference: int | None = None,
) -> list[str]:
    """Categories that the referrals counted in `b` but not in `a` are proven to fall in.

    Not called at release: the release audit's cross-source links (app.release_facts) put
    every nesting, with every other released table, into one exact programme, which finds
    whatever this finds for two tables and more. Kept as the small exact check of one pair.

    `b` must count a superset of `a`'s referrals. `known_difference` is how many more, if the
    attacker knows it. A category is reported when the two releases prove that at least one of
    those referrals is in it while the number could still be under the threshold.
    """
    added = (0, None) if known_difference is None else (known_difference, known_difference)
    arcs = _joint_arcs({"first": a, "added": None}, b, "second", rules, added)
    if not _feasible(arcs.values()):
        return ["the second release cannot contain the first"]
    problems = []
    for k in b.rows:
        key = ("added", k)
        proven = not _feasible_with(arcs, key, 0, 0)
        if proven and _feasible_with(arcs, key, 0, rules.threshold - 1):
            lo = (_exact_interval(arcs, key) or (0, None))[0]
            problems.append(f"{k}: at least {lo} of the added referrals proven to be in it")
    return problems


# --- Summary measures -------------------------------------------------------------------------


def median_or_none(values: Sequence[float], rules: DisclosureRules) -> float | None:
    # A median of fewer values would be close to one person's own figure.
    if len(values) < rules.threshold:
        return None
    return float(statistics.median(values))


def percentage_or_none(numerator: int, denominator: int, rules: DisclosureRules) -> int | None:
    """A whole-number percentage, or None unless both groups it describes are large.

    Both the numerator and the rest of the denominator must reach the threshold, zero
    counting as small: 100% or 0% says something about every person in the group, and 95% of
    40 points at two people.
    """
    if not 0 <= numerator <= denominator:
        raise ValueError("need 0 <= numerator <= denominator")
    if numerator < rules.threshold or denominator - numerator < rules.threshold:
        return None
    return (200 * numerator + denominator) // (2 * denominator)  # half up, in integers


def year_percentage_or_none(
    quarters: Sequence[tuple[int, int]], rules: DisclosureRules
) -> int | None:
    """A year's percentage from its quarters' (numerator, denominator), or None if any
    quarter's own percentage was withheld (the year minus the others would reveal it)."""
    if any(percentage_or_none(n, d, rules) is None for n, d in quarters):
        return None
    return percentage_or_none(sum(n for n, _ in quarters), sum(d for _, d in quarters), rules)
