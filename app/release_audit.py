"""One audit over everything released, as the intruder of DESIGN threat 2 would run it (G6).

app.disclosure protects each table, and a year with its quarters; app.standards.linked adds
the caseload. Taken together with the percentages, the medians and the provider's returns,
those rules still leak (issue 13): a whole-number percentage over 37 referrals is finer than
rounding to 5 and pins the denominator, and the provider's "online" count is intake's
received count less withdrawals, so a pinned intake count pins the provider's cells. So this
module takes every released figure of every period and both sources, in a neutral form, and
asks an exact integer programme (HiGHS, through highspy) the interval each figure's true
value could lie in, given everything else.

The neutral form (`Facts`):
- `Cell`: a count. Released rounded (`value`: the true count rounds to it and reached the
  threshold), withheld (`value` None: shown "[c]") or hidden (never released at all, such as
  the number acknowledged in time behind a percentage: a variable the other facts mention,
  not itself audited).
- `Relation`: low <= sum of coefficient x cell <= high. Table totals, a year as the sum of
  its quarters, the caseload identity (open at the end = open at the start + received -
  closed), and intake against the provider (the provider's "online" = intake's received -
  withdrawn) are all relations.
- `Percentage`: a released p over numerator and denominator cells (or a public constant such
  as funded capacity) means (p - step/2)/100 x den <= num < (p + step/2)/100 x den, and,
  under app.disclosure's rule, that the numerator and its complement both reached the
  threshold. A percentage worked out from released rounded counts adds nothing while they
  stay released (`from_rounded`).
- `Median`: released only over at least threshold values; a median ending in .5 also says
  that the number of values is even.
- `Derived`: any other figure worked out from released figures only (demand, projections):
  nothing new while its inputs stay released; it must go when one of them is withheld.

Failures. A withheld cell that could be under the threshold must be as uncertain as "[c]"
promises: its interval starts at 0 (the group may be empty) and reaches
`app.disclosure.withheld_reach` (0 to 9 for a threshold of 10: the one rule, which
app.disclosure applies table by table).
 A withheld cell proven to reach the threshold says only that the
group is large, as releasing it would, but must not be known more precisely than a released
figure: at least `rounding_base` values. A rounded cell must keep at least `rounding_base`
possible values, or all that its release allows when the threshold clips them (a released 10
means 10 to 12 on its own, with 10 and 5). Each failure is worded for the people who release.

Known gaps, said plainly. The model leaves out, as app.disclosure's does, facts that are not
linear: that a withheld percentage had a small numerator or complement, and that a cell
withheld by primary suppression was under the threshold. Each is a disjunction (this group or
that one was small). Leaving a fact out makes this intruder weaker than the real one, so an
upper end could be narrower than reported; the tables are built so that a 0 in a withheld cell
satisfies every such disjunction, so "the group could be empty" still holds.

Speed (issue target: under 10 s at every release). Facts split into independent components
(connected through relations, percentages and medians); each is solved on its own, and an
unchanged component's answer is remembered between calls. Within a component, every solution
the solver finds is a witness: a table of whole numbers that explains everything released,
so each cell's value in it is possible. A few solves with many cells in the objective at once
usually give witnesses at both ends of every cell's box, which settles it without a solve of
its own; the linear relaxation comes next (its optimum bounds the integer one, and is the
integer one when its solution is whole); the integer programme only where that fails.
Withholding (`withhold_until_safe`) asks the relaxation which released figures hold each
failing bound (its duals), so a release needs a few audits, not one per figure withheld.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import highspy
import numpy as np
import numpy.typing as npt

from app.disclosure import DisclosureRules, ProtectedTable, withheld_reach


def _round(n: int, base: int) -> int:
    return (2 * n + base) // (2 * base) * base  # half up, as app.disclosure rounds a count


Bound = tuple[int, int | None]  # inclusive; None: no upper bound
# A count that nothing bounds above is given this bound in the model, so that every solve has
# an optimum; a maximum this large is reported as unbounded. No period has this many referrals.
UNBOUNDED = 10_000_000
_TOLERANCE = 1e-6
_ROUNDS = 12  # solves with many cells in the objective, before cells are solved one by one


# --- The neutral form -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A count: released rounded (`value`), withheld (None), or hidden (never released)."""

    name: str
    value: int | None = None
    hidden: bool = False
    upper: int | None = None  # what else bounds a withheld or hidden count
    # Released only as the ground of a percentage, never shown: withheld, it is hidden, not
    # "[c]" (nothing on the page says anything about it then).
    grounds: bool = False

    @property
    def state(self) -> str:
        return "hidden" if self.hidden else "withheld" if self.value is None else "rounded"


@dataclass(frozen=True)
class Relation:
    """low <= sum of coefficient x cell <= high (None: no bound on that side)."""

    terms: tuple[tuple[str, int], ...]
    low: int | None = 0
    high: int | None = 0
    why: str = ""


@dataclass(frozen=True)
class Percentage:
    """A percentage of a numerator cell over a denominator cell or a public constant."""

    name: str
    numerator: str
    denominator: str | int
    value: int | None  # None: withheld
    step: int = 1  # the points it is rounded to, half up: 1 for a whole number, 5 coarsened
    both_large: bool = True  # released only when numerator and complement reach the threshold
    from_rounded: bool = False  # worked out from the released rounded counts


@dataclass(frozen=True)
class Median:
    name: str
    population: str  # the cell counting the values the median is over
    value: float | None  # None: withheld


@dataclass(frozen=True)
class Derived:
    """A figure worked out from released figures only (demand, a year-to-date sum)."""

    name: str
    inputs: tuple[str, ...]
    released: bool = True


@dataclass(frozen=True)
class Facts:
    """Everything released (or about to be): what the intruder holds."""

    cells: tuple[Cell, ...] = ()
    relations: tuple[Relation, ...] = ()
    percentages: tuple[Percentage, ...] = ()
    medians: tuple[Median, ...] = ()
    derived: tuple[Derived, ...] = ()

    def __add__(self, other: Facts) -> Facts:
        return Facts(
            self.cells + other.cells,
            self.relations + other.relations,
            self.percentages + other.percentages,
            self.medians + other.medians,
            self.derived + other.derived,
        )

    def items(self) -> list[str]:
        """The names of every figure that can be withheld, in order."""
        return [
            *(c.name for c in self.cells if not c.hidden),
            *(p.name for p in self.percentages),
            *(m.name for m in self.medians),
            *(d.name for d in self.derived),
        ]

    def released_items(self) -> list[str]:
        return [
            *(c.name for c in self.cells if c.value is not None),
            *(p.name for p in self.percentages if p.value is not None),
            *(m.name for m in self.medians if m.value is not None),
            *(d.name for d in self.derived if d.released),
        ]

    def withholding(self, names: Iterable[str]) -> Facts:
        """The same facts with the named figures withheld (the relations stay: they are known)."""
        gone = set(names)

        def withhold(c: Cell) -> Cell:
            return replace(c, value=None, hidden=c.grounds)

        return Facts(
            tuple(withhold(c) if c.name in gone else c for c in self.cells),
            self.relations,
            tuple(replace(p, value=None) if p.name in gone else p for p in self.percentages),
            tuple(replace(m, value=None) if m.name in gone else m for m in self.medians),
            tuple(replace(d, released=False) if d.name in gone else d for d in self.derived),
        )

    def withholding_all(self) -> Facts:
        return self.withholding(self.items())


def sum_relation(total: str, parts: Sequence[str], why: str = "") -> Relation:
    """total = the sum of parts."""
    return Relation(((total, 1), *((p, -1) for p in parts)), 0, 0, why or f"{total} is a sum")


def table_facts(
    prefix: str, rows: Mapping[str, int | None], total: int | None, total_name: str = "Total"
) -> Facts:
    """A released one-way table: a cell per row named "prefix/row", and its total."""
    cells = tuple(Cell(f"{prefix}/{k}", v) for k, v in rows.items())
    total_cell = Cell(f"{prefix}/{total_name}", total)
    parts = [c.name for c in cells]
    return Facts((*cells, total_cell), (sum_relation(total_cell.name, parts, f"{prefix} total"),))


def protected_table_facts(prefix: str, table: ProtectedTable) -> Facts:
    return table_facts(prefix, table.rows, table.total)


# --- Releasing percentages and medians that cannot be inverted --------------------------------


def percentage_from_rounded(numerator: int | None, denominator: int | None) -> int | None:
    """A whole-number percentage of two released rounded counts (None if either is withheld):
    it can be worked out from them, so it says nothing they do not."""
    if numerator is None or not denominator:
        return None
    return (200 * numerator + denominator) // (2 * denominator)  # half up, in integers


def coarsened_percentage(
    numerator: int, denominator: int, rules: DisclosureRules, step: int = 5
) -> int | None:
    """A percentage rounded half up to `step` points, or None unless the numerator and its
    complement both reach the threshold. Coarser than a whole number, but it can still pin a
    denominator when the complement sits at the threshold: the audit decides."""
    if not 0 <= numerator <= denominator:
        raise ValueError("need 0 <= numerator <= denominator")
    if numerator < rules.threshold or denominator - numerator < rules.threshold:
        return None
    return (200 * numerator + step * denominator) // (2 * step * denominator) * step


def whole_median(median: float | None) -> int | None:
    """A median rounded half up to a whole number: a median ending in .5 would say that the
    number of values is even, which with rounding to 5 narrows a count to two values."""
    return None if median is None else math.floor(median + 0.5)


# --- Results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    name: str
    interval: Bound
    reason: str

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


@dataclass(frozen=True)
class AuditResult:
    cells_checked: int
    # The fewest values any withheld cell that could be under the threshold may take, and the
    # fewest any rounded cell may take (None: no such cell). A lower bound on how much the
    # intruder can narrow: at least these many values remain possible for every such cell.
    narrowest_withheld: int | None
    narrowest_rounded: int | None
    failures: tuple[Failure, ...]
    intervals: dict[str, Bound]  # exact where `exact`, else what the witnesses proved possible
    components: int
    solves: int  # linear and integer programmes solved (remembered components cost none)
    seconds: float

    @property
    def passed(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        def values(n: int | None) -> str:
            return "none" if n is None else "unbounded" if n >= UNBOUNDED else str(n)

        verdict = "passed" if self.passed else f"{len(self.failures)} failure(s)"
        return (
            f"audit {verdict}: {self.cells_checked} cells checked in {self.components} "
            f"components; narrowest withheld cell {values(self.narrowest_withheld)} values, "
            f"narrowest rounded cell {values(self.narrowest_rounded)} values; "
            f"{self.solves} solves, {self.seconds:.2f} s"
        )


# --- The model --------------------------------------------------------------------------------


def _box(cell: Cell, rules: DisclosureRules) -> tuple[int, int]:
    if cell.value is not None:
        b = rules.rounding_base
        return max(cell.value - b // 2, rules.threshold), cell.value + (b - 1) // 2
    return 0, UNBOUNDED if cell.upper is None else min(cell.upper, UNBOUNDED)


Row = tuple[dict[int, float], float, float]  # coefficients by column, low, high
# A value for every column of a component. Whole-table work (witnesses, rounding) is done on
# these at once: in Python, one cell at a time, it cost more than HiGHS on the larger history.
Vector = npt.NDArray[np.float64]


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, names: Iterable[str]) -> None:
        names = list(names)
        for other in names[1:]:
            a, b = self.find(names[0]), self.find(other)
            if a != b:
                self.parent[b] = a


def _check_names(facts: Facts) -> dict[str, Cell]:
    cells: dict[str, Cell] = {}
    for cell in facts.cells:
        if cell.name in cells and cells[cell.name] != cell:
            raise ValueError(f"{cell.name} is given twice, differently")
        cells[cell.name] = cell
    mentioned = [n for r in facts.relations for n, _ in r.terms]
    mentioned += [p.numerator for p in facts.percentages]
    mentioned += [p.denominator for p in facts.percentages if isinstance(p.denominator, str)]
    mentioned += [m.population for m in facts.medians]
    mentioned += [n for d in facts.derived for n in d.inputs]
    unknown = sorted({n for n in mentioned if n not in cells})
    if unknown:
        raise ValueError("facts mention cells never given: " + ", ".join(unknown[:5]))
    return cells


@dataclass
class _Component:
    """One independent part of the intruder's problem, as a HiGHS model."""

    names: list[str]
    cells: list[Cell]
    rows: list[Row]
    audited: list[int]  # columns of the cells to check
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    # The figure each row comes from, by row, for the rows of a percentage or a median: the
    # rows that withholding a figure would drop (see `_binding`). Relations are not here.
    origins: dict[int, str] = field(default_factory=dict)

    def key(self) -> tuple:
        return (
            tuple(self.cells),
            tuple((tuple(sorted(r[0].items())), r[1], r[2]) for r in self.rows),
        )


def _components(facts: Facts, rules: DisclosureRules) -> list[_Component]:
    cells = _check_names(facts)
    links = _UnionFind()
    for name in cells:
        links.find(name)
    for relation in facts.relations:
        links.union(n for n, _ in relation.terms)
    for p in facts.percentages:
        if p.value is not None and not p.from_rounded and isinstance(p.denominator, str):
            links.union([p.numerator, p.denominator])
    groups: dict[str, list[str]] = {}
    for name in cells:
        groups.setdefault(links.find(name), []).append(name)
    found: dict[str, _Component] = {}
    column: dict[str, tuple[str, int]] = {}
    for root, names in groups.items():
        members = [cells[n] for n in names]
        audited = [i for i, c in enumerate(members) if not c.hidden]
        found[root] = _Component(names, members, [], audited)
        column.update({n: (root, i) for i, n in enumerate(names)})
    for relation in facts.relations:
        root = column[relation.terms[0][0]][0]
        coefficients: dict[int, float] = {}
        for name, coefficient in relation.terms:
            i = column[name][1]
            coefficients[i] = coefficients.get(i, 0.0) + coefficient
        low = -math.inf if relation.low is None else float(relation.low)
        high = math.inf if relation.high is None else float(relation.high)
        found[root].rows.append((coefficients, low, high))
    for p in facts.percentages:
        if p.value is None or p.from_rounded:
            continue  # the audit reports a rounded one whose inputs went (see _derived_failures)
        root, num = column[p.numerator]
        rows = found[root].rows
        first = len(rows)
        lo, hi = 2 * p.value - p.step, 2 * p.value + p.step
        if isinstance(p.denominator, str):
            den = column[p.denominator][1]
            # (p - step/2) den <= 100 num < (p + step/2) den, times 2, in whole numbers.
            rows.append(({num: 200.0, den: -float(lo)}, 0.0, math.inf))
            rows.append(({num: 200.0, den: -float(hi)}, -math.inf, -1.0))
            if p.both_large:
                rows.append(({num: 1.0}, float(rules.threshold), math.inf))
                rows.append(({den: 1.0, num: -1.0}, float(rules.threshold), math.inf))
        else:
            d = p.denominator
            rows.append(({num: 200.0}, float(lo * d), float(hi * d - 1)))
            if p.both_large:
                rows.append(({num: 1.0}, float(rules.threshold), float(d - rules.threshold)))
        found[root].origins.update(dict.fromkeys(range(first, len(rows)), p.name))
    components = list(found.values())
    parities: list[tuple[_Component, int, str]] = []
    for m in facts.medians:
        if m.value is None:
            continue
        root, population = column[m.population]
        found[root].origins[len(found[root].rows)] = m.name
        found[root].rows.append(({population: 1.0}, float(rules.threshold), math.inf))
        if m.value != math.floor(m.value):
            parities.append((found[root], population, m.name))
    for component, population, median in parities:
        # A median of whole numbers ends in .5 only over an even number of them: n = 2k.
        k = len(component.cells)
        component.cells.append(Cell(f"{component.names[population]} / 2", hidden=True))
        component.names.append(component.cells[-1].name)
        component.origins[len(component.rows)] = median
        component.rows.append(({population: 1.0, k: -2.0}, 0.0, 0.0))
    for component in components:
        boxes = [_box(c, rules) for c in component.cells]
        component.lower = [float(lo) for lo, _ in boxes]
        component.upper = [float(hi) for _, hi in boxes]
    return components


class _Solver:
    """A component's linear relaxation and integer programme, each kept warm between solves."""

    def __init__(self, component: _Component) -> None:
        self.component = component
        self.n = len(component.cells)
        self.solves = 0
        self.lower = np.array(component.lower)
        self.upper = np.array(component.upper)
        self._lp = self._model(integer=False)
        self._ip: highspy.Highs | None = None
        self._costs: dict[int, Vector] = {}  # the objective each model holds, by id

    def _model(self, integer: bool) -> highspy.Highs:
        c = self.component
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.n, len(c.rows)
        lp.col_cost_ = [0.0] * self.n
        lp.col_lower_, lp.col_upper_ = list(c.lower), list(c.upper)
        lp.row_lower_ = [max(low, -highspy.kHighsInf) for _, low, _ in c.rows]
        lp.row_upper_ = [min(high, highspy.kHighsInf) for _, _, high in c.rows]
        starts, index, value = [0], [], []
        for coefficients, _, _ in c.rows:
            for i, a in coefficients.items():
                index.append(i)
                value.append(a)
            starts.append(len(index))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = self.n, len(c.rows)
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = starts, index, value
        if integer:
            lp.integrality_ = [highspy.HighsVarType.kInteger] * self.n
        model = highspy.Highs()
        model.setOptionValue("output_flag", False)
        model.setOptionValue("threads", 1)
        if integer:
            # Witnesses come from the relaxation; the integer programme only has to prove an
            # optimum, and HiGHS's primal heuristics cost more than they save here (7.8 s
            # against 8.8 s for the demo history).
            model.setOptionValue("mip_heuristic_effort", 0.0)
        model.passModel(lp)
        return model

    def _run(self, model: highspy.Highs, costs: dict[int, float]) -> Vector:
        wanted = np.zeros(self.n)
        if costs:
            wanted[list(costs)] = list(costs.values())
        held = self._costs.setdefault(id(model), np.zeros(self.n))  # a new model costs 0
        changed = np.flatnonzero(wanted != held).astype(np.int32)
        if changed.size:
            model.changeColsCost(int(changed.size), changed, wanted[changed])
            held[changed] = wanted[changed]
        model.run()
        self.solves += 1
        status = model.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return np.array(model.getSolution().col_value)
        if status == highspy.HighsModelStatus.kInfeasible:
            raise Infeasible()
        raise RuntimeError(f"HiGHS: {model.modelStatusToString(status)}")

    def binding(self, costs: dict[int, float]) -> tuple[list[int], list[int]]:
        """The columns whose bounds and the rows that hold the relaxation's optimum where it
        is (non-zero duals): a certificate of that bound."""
        self._run(self._lp, costs)
        solution = self._lp.getSolution()
        if not solution.dual_valid:
            return [], []
        columns = [i for i, d in enumerate(solution.col_dual) if abs(d) > _TOLERANCE]
        rows = [r for r, d in enumerate(solution.row_dual) if abs(d) > _TOLERANCE]
        return columns, rows

    def feasible(self, x: Vector) -> bool:
        """Is `x` a table of whole numbers that explains everything (bounds and rows)?"""
        if not np.all((self.lower <= x) & (x <= self.upper)):
            return False
        for coefficients, low, high in self.component.rows:
            activity = sum(a * x[i] for i, a in coefficients.items())
            if not low - _TOLERANCE <= activity <= high + _TOLERANCE:
                return False
        return True

    def relaxed(self, costs: dict[int, float]) -> tuple[Vector, Vector | None]:
        """The relaxation's optimum, and a whole table near it if rounding gives one.

        The percentage rows make the relaxation's vertices fractional, but only in the few
        counts a percentage touches; rounding (towards the objective's side for the counts
        in it) usually gives a whole table that explains everything: a witness, and an
        optimum whenever it attains the relaxation's bound.
        """
        x = self._run(self._lp, costs)
        near = np.round(x)
        fractional = np.flatnonzero(np.abs(x - near) > _TOLERANCE)
        for i in fractional:
            cost = costs.get(int(i), 0.0)
            if cost:
                near[i] = math.ceil(x[i]) if cost > 0 else math.floor(x[i])
        return x, near if not fractional.size or self.feasible(near) else None

    def optimum(self, costs: dict[int, float]) -> Vector:
        """An optimal table of whole numbers (the integer programme, kept warm)."""
        if self._ip is None:
            self._ip = self._model(integer=True)
        return np.round(self._run(self._ip, costs))


class Infeasible(Exception):
    """The facts contradict each other: no table of whole numbers explains them."""


def _ok(lo: int, hi: int, state: str, rules: DisclosureRules, box: int = 0) -> str | None:
    """Why an exact interval is too narrow, or None (`box`: a rounded cell's own values)."""
    values = hi - lo + 1
    if state == "rounded":
        if values < min(rules.rounding_base, box or rules.rounding_base):
            return f"pinned to {_span(lo, hi)} ({values} value(s)), finer than rounding"
        return None
    if lo >= rules.threshold:
        # As precise as a released figure may be: the rounding base, or all that a figure
        # released at the threshold allows (a released 10 means 10 to 12).
        at_threshold = _box(Cell("", _round(rules.threshold, rules.rounding_base)), rules)
        allowed = at_threshold[1] - at_threshold[0] + 1 if lo == rules.threshold else 0
        if values < min(rules.rounding_base, allowed or rules.rounding_base):
            return f"withheld but pinned to {_span(lo, hi)}, finer than a released figure"
        return None
    if lo > 0:
        return f"withheld but proven to be at least {lo}, so the group is not empty"
    if hi < withheld_reach(rules):
        return f"withheld but narrowed to {_span(lo, hi)}, fewer values than the threshold hides"
    return None


def _span(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}-{hi}"


def _solve_component(
    component: _Component,
    rules: DisclosureRules,
    exact: bool,
    possible: Mapping[str, Bound] | None = None,
) -> tuple[dict[str, Bound], list[Failure], int]:
    solver = _Solver(component)
    seen_lo = np.full(solver.n, math.inf)
    seen_hi = np.full(solver.n, -math.inf)
    # Values that whole tables of a model these facts relax were seen to take: still possible
    # (see `audit`), so they settle most cells without a solve.
    for i, cell in enumerate(component.cells):
        if possible and (bound := possible.get(cell.name)) is not None:
            lo, hi = bound[0], UNBOUNDED if bound[1] is None else bound[1]
            if component.lower[i] <= lo <= hi <= component.upper[i]:
                seen_lo[i], seen_hi[i] = lo, hi
    outer_lo = list(component.lower)  # proven bounds: the true interval lies within these
    outer_hi = list(component.upper)
    boxes = [int(hi - lo + 1) for lo, hi in zip(component.lower, component.upper, strict=True)]

    def witness(x: Vector) -> None:
        np.minimum(seen_lo, x, out=seen_lo)
        np.maximum(seen_hi, x, out=seen_hi)

    def lo_known(i: int) -> bool:
        return bool(seen_lo[i] <= outer_lo[i])

    def hi_known(i: int) -> bool:
        return bool(seen_hi[i] >= outer_hi[i])

    def settled(i: int) -> bool:
        if not seen_lo[i] <= seen_hi[i]:
            return False
        if exact:
            return lo_known(i) and hi_known(i)
        lo, hi, state = int(seen_lo[i]), int(seen_hi[i]), component.cells[i].state
        if state == "rounded" or outer_lo[i] >= rules.threshold:
            # Every possible start reaches the threshold; more values only help.
            return hi - lo + 1 >= min(rules.rounding_base, boxes[i]) or (
                lo_known(i) and hi_known(i)
            )
        return lo_known(i) and (_ok(lo, hi, state, rules) is None or hi_known(i))

    open_ = [i for i in component.audited if not settled(i)]
    if open_:
        _, start = solver.relaxed({})
        witness(start if start is not None else solver.optimum({}))
    # Many cells at once: push every unsettled one down, then every one up, while it helps.
    for round_ in range(_ROUNDS):
        open_ = [i for i in open_ if not settled(i)]
        if not open_:
            break
        down = round_ % 2 == 0
        costs = {
            i: (1.0 if down else -1.0) for i in open_ if not (lo_known(i) if down else hi_known(i))
        }
        if not costs:
            continue
        before = len(open_)
        _, found = solver.relaxed(costs)
        witness(found if found is not None else solver.optimum(costs))
        if round_ % 2 and len([i for i in open_ if not settled(i)]) == before:
            break
    # One by one: the relaxation bounds the integer optimum; a whole table attaining the
    # bound is the optimum; only otherwise is the integer programme solved.
    for i in component.audited:
        for down in (True, False):
            if settled(i) or (lo_known(i) if down else hi_known(i)):
                continue
            x, found = solver.relaxed({i: 1.0 if down else -1.0})
            if found is not None:
                witness(found)
            if down:
                outer_lo[i] = max(outer_lo[i], math.ceil(x[i] - _TOLERANCE))
            else:
                outer_hi[i] = min(outer_hi[i], math.floor(x[i] + _TOLERANCE))
            if lo_known(i) if down else hi_known(i):
                continue
            exact_x = solver.optimum({i: 1.0 if down else -1.0})
            witness(exact_x)
            if down:
                outer_lo[i] = exact_x[i]
            else:
                outer_hi[i] = exact_x[i]
    intervals: dict[str, Bound] = {}
    failures = []
    for i in component.audited:
        lo, hi = int(seen_lo[i]), int(seen_hi[i])
        cell = component.cells[i]
        intervals[cell.name] = (lo, None if hi >= UNBOUNDED else hi)
        if lo_known(i) and hi_known(i) and (reason := _ok(lo, hi, cell.state, rules, boxes[i])):
            failures.append(Failure(cell.name, intervals[cell.name], reason))
    return intervals, failures, solver.solves


def _derived_failures(facts: Facts) -> list[Failure]:
    """Figures worked out from released figures, one of which is now withheld."""
    released = {c.name for c in facts.cells if c.value is not None}
    failures = []
    for p in facts.percentages:
        if p.value is not None and p.from_rounded:
            inputs = [p.numerator] + ([p.denominator] if isinstance(p.denominator, str) else [])
            if missing := [n for n in inputs if n not in released]:
                failures.append(Failure(p.name, (p.value, p.value), _from_withheld(missing)))
    for d in facts.derived:
        if d.released and (missing := [n for n in d.inputs if n not in released]):
            failures.append(Failure(d.name, (0, None), _from_withheld(missing)))
    return failures


def _from_withheld(missing: list[str]) -> str:
    return "worked out from a withheld figure (" + ", ".join(missing) + "), which it would reveal"


# --- The audit --------------------------------------------------------------------------------

_remembered: dict[tuple, tuple[dict[str, Bound], list[Failure]]] = {}
_REMEMBER = 4096


def forget() -> None:
    """Forget remembered components (for timing a cold audit)."""
    _remembered.clear()


def audit(
    released: Facts,
    candidate: Facts | None = None,
    rules: DisclosureRules | None = None,
    *,
    exact: bool = False,
    possible: Mapping[str, Bound] | None = None,
) -> AuditResult:
    """Audit everything released so far together with the candidate release.

    Every withheld and every rounded cell is checked. With `exact`, every interval in the
    result is the exact one (slower: two solves per cell); otherwise an interval is exact where
    a failure is reported and, for a cell that passes, is what the solver proved possible.
    Raises Infeasible if no table of whole numbers explains the facts (they were mis-stated).

    `possible`: the intervals of an earlier audit whose facts these only relax (the same
    relations, with figures withheld since): every whole table that explained those explains
    these, so the values it saw stay possible. Failures are found exactly either way; only
    the solves that would see those values again are saved.
    """
    started = time.perf_counter()
    rules = rules or DisclosureRules()
    facts = released + candidate if candidate is not None else released
    intervals: dict[str, Bound] = {}
    failures = _derived_failures(facts)
    solves = 0
    components = _components(facts, rules)
    for component in components:
        if not component.audited:
            continue
        key = (component.key(), rules, exact)
        if key not in _remembered:
            found, found_failures, used = _solve_component(component, rules, exact, possible)
            solves += used
            if len(_remembered) >= _REMEMBER:
                _remembered.clear()
            _remembered[key] = (found, found_failures)
        found, found_failures = _remembered[key]
        intervals.update(found)
        failures += found_failures
    states = {c.name: c.state for c in facts.cells}
    widths: dict[str, list[int]] = {"withheld": [], "rounded": []}
    for name, (lo, hi) in intervals.items():
        values = UNBOUNDED if hi is None else hi - lo + 1
        if states[name] == "rounded":
            widths["rounded"].append(values)
        elif lo < rules.threshold:
            widths["withheld"].append(values)
    return AuditResult(
        cells_checked=len(intervals),
        narrowest_withheld=min(widths["withheld"], default=None),
        narrowest_rounded=min(widths["rounded"], default=None),
        failures=tuple(sorted(failures, key=lambda f: f.name)),
        intervals=intervals,
        components=sum(1 for c in components if c.audited),
        solves=solves,
        seconds=time.perf_counter() - started,
    )


@dataclass(frozen=True)
class Withheld:
    """What `withhold_until_safe` released: the candidate as it may go out, and why."""

    candidate: Facts
    withheld: tuple[str, ...]  # the figures it withheld, in the order it withheld them
    result: AuditResult  # the audit the candidate passed
    inherited: tuple[Failure, ...]  # narrowings earlier releases already made (not blocking)
    steps: int = 1  # audits of the candidate it ran, the last one passing


def withhold_until_safe(
    released: Facts,
    candidate: Facts,
    order: Sequence[str],
    rules: DisclosureRules | None = None,
) -> Withheld:
    """Withhold more of the candidate, least useful first, until the audit passes.

    `order` names the candidate's figures from least to most useful (totals and capacity
    ratios last); figures it does not name go after them, in the candidate's own order.
    Each step withholds, for each failure (or group of failures held by figures in common),
    the least useful figure still released among those that hold the failing bound where it
    is (`_binding`): a figure that holds no failing bound is never withheld for it, however
    little used (withholding the figures merely near a failure, least useful first, took 63
    figures and 63 audits where one total was what held it). Any figure worked out from a
    withheld one goes next. Failures are still found exactly by the audit after each step;
    the certificates only choose what to try. A narrowing that withholding the whole candidate would
    not undo was made by earlier releases: it is reported as inherited and does not block
    (it cannot be unreleased); the candidate may not add to it.
    """
    rules = rules or DisclosureRules()
    ranked = list(dict.fromkeys([*order, *candidate.items()]))
    unknown = set(ranked) - set(candidate.items())
    if unknown:
        raise ValueError(
            "order names figures that are not in the candidate: " + ", ".join(sorted(unknown))
        )
    baseline: set[tuple[str, str]] | None = None
    inherited: list[Failure] = []
    current, gone = candidate, list[str]()
    possible: dict[str, Bound] | None = None
    steps = 0
    while True:
        steps += 1
        # Each step only withholds more, which relaxes the model: what the last audit saw
        # possible still is (0.2-0.3 s a step on one connected history otherwise).
        result = audit(released, current, rules, possible=possible)
        possible = result.intervals
        blocking = list(result.failures)
        if blocking and baseline is None:
            floor = audit(released, candidate.withholding_all(), rules, possible=possible)
            baseline = {(f.name, f.reason) for f in floor.failures}
            inherited = list(floor.failures)
        blocking = [f for f in blocking if (f.name, f.reason) not in (baseline or set())]
        if not blocking:
            return Withheld(current, tuple(gone), result, tuple(inherited), steps)
        step = _next_to_withhold(released + current, blocking, ranked, current, rules)
        if not step:
            raise RuntimeError("everything is withheld and the audit still fails")
        gone += step
        current = current.withholding(step)


def _next_to_withhold(
    facts: Facts, blocking: list[Failure], ranked: list[str], current: Facts, rules: DisclosureRules
) -> list[str]:
    """The figures to withhold next: for each failure, the least useful released figure of
    the candidate among those that hold its narrowed ends where they are; failures held by
    figures in common get one figure between them, the others one each, all in one step."""
    still = set(current.released_items())
    # A figure worked out from a withheld one goes at once: it is the failure itself.
    derived = [f.name for f in blocking if f.name in still and _is_derived(current, f.name)]
    if derived:
        return derived
    rank = {n: i for i, n in enumerate(ranked)}
    # Failures held by figures in common (the four figures of one caseload identity, each
    # pinned) are answered together, by one figure: one more step costs less than a figure.
    groups: list[set[str]] = []
    for holding in _binding(facts, blocking, rules):
        holding &= still
        if holding:
            joined = [g for g in groups if g & holding]
            groups = [g for g in groups if not g & holding] + [holding.union(*joined)]
    chosen = [min(g, key=lambda n: rank.get(n, len(rank))) for g in groups]
    if chosen:
        return chosen
    # No certificate names a figure of the candidate (a bound only the integer programme
    # reaches, or another certificate of the same bound): the least useful figure in a
    # failing component, one at a time.
    links = _UnionFind()
    for relation in facts.relations:
        links.union(n for n, _ in relation.terms)
    for p in facts.percentages:
        links.union(
            [p.name, p.numerator] + ([p.denominator] if isinstance(p.denominator, str) else [])
        )
    for m in facts.medians:
        links.union([m.name, m.population])
    failing = {links.find(f.name) for f in blocking}
    candidates = [n for n in ranked if n in still]
    near = [n for n in candidates if links.find(n) in failing]
    return (near or candidates)[:1]


def _binding(facts: Facts, failures: list[Failure], rules: DisclosureRules) -> list[set[str]]:
    """For each failing cell, the figures whose release holds its interval's narrowed ends
    (lower, upper or both) where they are: the released cells whose bounds, and the
    percentages and medians whose rows, carry the relaxation's optimum (non-zero duals).
    Withholding none of them leaves the relaxation's bound as it is; withholding one usually
    widens it. The audit that follows decides: this only chooses what to try."""
    components = _components(facts, rules)
    where = {n: (c, i) for c in components for i, n in enumerate(c.names)}
    solvers: dict[int, _Solver] = {}
    held: list[set[str]] = []
    for failure in failures:
        if failure.name not in where:
            continue  # a percentage or derived figure: handled as derived
        component, i = where[failure.name]
        if id(component) not in solvers:
            solvers[id(component)] = _Solver(component)
        solver = solvers[id(component)]
        lo, hi = failure.interval
        cell = component.cells[i]
        # A released cell held at an end of its own box by its own release: withholding it
        # frees that end (a percentage at its lower end and the count's rounding at its
        # upper end pin it together).
        own = cell.value is not None and (
            lo <= component.lower[i] or (hi is not None and hi >= component.upper[i])
        )
        holding = {cell.name} if own else set()
        for sign, narrowed in (
            (1.0, lo > component.lower[i]),
            (-1.0, hi is not None and hi < component.upper[i]),
        ):
            if not narrowed:
                continue
            columns, rows = solver.binding({i: sign})
            cells = component.cells
            holding |= {cells[j].name for j in columns if j != i and cells[j].value is not None}
            holding |= {component.origins[r] for r in rows if r in component.origins}
        held.append(holding)
    return held


def _is_derived(facts: Facts, name: str) -> bool:
    return any(d.name == name for d in facts.derived) or any(
        p.name == name and p.from_rounded for p in facts.percentages
    )
