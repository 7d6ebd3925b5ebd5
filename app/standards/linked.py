"""What intake's count tables give away together, through the caseload (G6, threat 2).

Each table is safe on its own, and a year is safe with its quarters (app.disclosure). But
the open caseload ties periods together: for every quarter,

    open at its end = open at the start + received in it - closed in it (withdrawals included)

so a rise in the caseload could prove that a suppressed "received" count is not zero. The
attacker's knowledge is again a flow network, so app.disclosure's exact solver answers it:

    source -> year total -> year cell -> quarter cell -> quarter total (received) -> quarter
    quarter -> quarter (the caseload carried over) ... last quarter -> sink
    quarter -> quarter total (closed) -> quarter cell -> year cell -> year total -> sink

Every figure is a box (a released figure: what rounds to it; a suppressed one: from 0 up to
the smallest released cell of its table), and a quarter node balances inflow and outflow.
Nothing was received before the first referral, so the first quarter starts from 0. A
period's tables are checked before release; if any suppressed figure anywhere can then be
narrowed, more of the new period is withheld (see releases.py), down to withholding all of
it, which adds nothing to what was released before.

The solver is app.disclosure's (its private helpers: one module owns the attacker's model).

Checking every suppressed figure ever released costs a few exact flow problems each, so a
new quarter uses a shortcut that is still exact. Its year is not released yet (a year
follows its fourth quarter), so its year arcs are free and the only arc joining it to what
was released before is the caseload carried in from the previous quarter. If the new
quarter admits every value that arc could take before, the released figures' possible
values are unchanged and they stay safe; only the new quarter's own figures need checking.
"Every value it could take" is first over-estimated by the arc's released box (cheap: the
new quarter alone), then, if that fails, computed exactly. Otherwise, and for a year, every
figure is checked again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import cache

from app.disclosure import (
    TOTAL,
    Arc,
    Bound,
    DisclosureRules,
    Node,
    Period,
    ProtectedTable,
    _cell_boxes,
    _exact_interval,
    _feasible,
    _feasible_with,
    _joint_problem,
    _total_box,
)

LINKED = ("received", "closures", "caseload")
Tables = Mapping[tuple[str, str], ProtectedTable]  # (period label, table name) -> table
_SOURCE, _SINK = ("source",), ("sink",)
FREE = (0, None)


def _boxes(table: ProtectedTable | None, categories: list[str], rules: DisclosureRules) -> dict:
    if table is None:
        return dict.fromkeys([*categories, TOTAL], FREE)
    # No cap on a withheld cell: the release audit may withhold a larger cell than a released
    # one (least useful first), so "smallest first" is not a fact the attacker can use here.
    boxes = {
        k: FREE if v is None else box
        for (k, box), v in zip(_cell_boxes(table, rules).items(), table.rows.values(), strict=True)
    }
    return {**boxes, TOTAL: _total_box(table, rules)}


def _flow_side(
    arcs: dict[tuple[str, str], Arc],
    tables: Tables,
    name: str,
    quarters: list[Period],
    rules: DisclosureRules,
    inflow: bool,
) -> None:
    """The received (inflow) or closures (outflow) side of the network, years included."""
    categories = next(list(t.rows) for (_, n), t in tables.items() if n == name)
    for fy in sorted({q.fy for q in quarters}):
        year = Period(fy)
        year_box = _boxes(tables.get((year.label, name)), categories, rules)
        hub = ("year", name, year.label)
        if inflow:
            arcs[year.label + " " + name, TOTAL] = (_SOURCE, hub, *year_box[TOTAL])
        else:
            arcs[year.label + " " + name, TOTAL] = (hub, _SINK, *year_box[TOTAL])
        for k in categories:
            row = ("row", name, year.label, k)
            ends: tuple[Node, Node] = (hub, row) if inflow else (row, hub)
            arcs[year.label + " " + name, k] = (*ends, *year_box[k])
        for quarter in (q for q in quarters if q.fy == fy):
            box = _boxes(tables.get((quarter.label, name)), categories, rules)
            column, node = ("column", name, quarter.label), ("quarter", quarter.label)
            ends = (column, node) if inflow else (node, column)
            arcs[quarter.label + " " + name, TOTAL] = (*ends, *box[TOTAL])
            for k in categories:
                row = ("row", name, year.label, k)
                ends = (row, column) if inflow else (column, row)
                arcs[quarter.label + " " + name, k] = (*ends, *box[k])


def network(tables: Tables, rules: DisclosureRules) -> dict[tuple[str, str], Arc]:
    """The arcs for every released (or about to be released) linked table."""
    quarters = sorted(
        {Period.from_label(label) for label, _ in tables if Period.from_label(label).quarter},
        key=lambda p: p.start,
    )
    arcs: dict[tuple[str, str], Arc] = {("circulation", ""): (_SINK, _SOURCE, 0, None)}
    if not quarters:
        return arcs
    for name, inflow in (("received", True), ("closures", False)):
        if any(n == name for _, n in tables):
            _flow_side(arcs, tables, name, quarters, rules, inflow)
    for quarter, following in zip(quarters, [*quarters[1:], None], strict=True):
        table = tables.get((quarter.label, "caseload"))
        carried = _total_box(table, rules) if table is not None else FREE
        to = ("quarter", following.label) if following else _SINK
        arcs[quarter.label + " caseload", TOTAL] = (("quarter", quarter.label), to, *carried)
    return arcs


def _suppressed(tables: Tables) -> list[tuple[str, str]]:
    # A caseload table's one row is its total; a year's caseload is its fourth quarter's.
    return [
        (f"{label} {name}", k)
        for (label, name), table in tables.items()
        for k, v in [*table.rows.items(), (TOTAL, table.total)]
        if v is None and name in LINKED and (name != "caseload" or k == TOTAL)
    ]


def withheld(table: ProtectedTable) -> ProtectedTable:
    """The table with every figure withheld: it adds nothing to what was released before."""
    return replace(table, rows=dict.fromkeys(table.rows), total=None)


Network = dict[tuple[str, str], Arc]


def _problems(
    arcs: Network, keys: list, rules: DisclosureRules, before: Callable[[], Network] | None = None
) -> list[str]:
    """Figures among `keys` that `arcs` narrows. With `before` (the same network with the new
    period withheld), only those the new period narrows: what earlier releases already
    implied (say, a year's closures from its quarters' caseloads) is no disclosure of the
    new period's, and withholding could not undo it."""
    if not _feasible(arcs.values()):
        # Cannot happen with consistent dates; if it does, nothing is proven safe.
        return ["the caseload, received and closed figures contradict each other"]
    found = []
    for key in (key for key in keys if key in arcs):
        problem = _joint_problem(arcs, key, rules)
        if problem and (before is None or not _joint_problem(before(), key, rules)):
            found.append(f"{key[0]} {key[1]}: {problem}")
    return found


def linked_problems(tables: Tables, rules: DisclosureRules) -> list[str]:
    """Suppressed figures that the tables, taken together, narrow (empty: safe to release)."""
    return _problems(network(tables, rules), _suppressed(tables), rules)


class LinkedCheck:
    """Checks candidate tables for one period against everything released before it."""

    def __init__(self, released: Tables, rules: DisclosureRules) -> None:
        self.released = dict(released)
        self.rules = rules
        self._carried: dict[str, tuple[int, int | None] | None] = {}

    def _networks(
        self, period: Period, new: Mapping[str, ProtectedTable]
    ) -> tuple[Tables, Network, Callable[[], Network]]:
        mine = {(period.label, n): t for n, t in new.items()}
        tables = {**self.released, **mine}
        quiet = {**self.released, **{key: withheld(t) for key, t in mine.items()}}
        return tables, network(tables, self.rules), cache(lambda: network(quiet, self.rules))

    def full_problems(self, period: Period, new: Mapping[str, ProtectedTable]) -> list[str]:
        """What the new period's tables narrow, checking every figure ever released."""
        tables, arcs, before = self._networks(period, new)
        return _problems(arcs, _suppressed(tables), self.rules, before)

    def problems(self, period: Period, new: Mapping[str, ProtectedTable]) -> list[str]:
        """The same answer as full_problems, usually much faster for a quarter."""
        if period.quarter is None:
            return self.full_problems(period, new)
        tables, arcs, before = self._networks(period, new)
        own = _suppressed({(period.label, n): t for n, t in new.items()})
        problems = _problems(arcs, own, self.rules, before) if own else []
        if problems or self._released_unchanged(period, new, arcs):
            return problems
        return _problems(arcs, _suppressed(tables), self.rules, before)

    def _released_unchanged(
        self, quarter: Period, new: Mapping[str, ProtectedTable], arcs: dict[tuple[str, str], Arc]
    ) -> bool:
        """Does the new quarter admit every value the carried-in caseload could take before?"""
        before = _previous(quarter)
        carried = self.released.get((before.label, "caseload"))
        if carried is None:
            return True  # the first quarter: nothing released before joins it
        key = (f"{before.label} caseload", TOTAL)
        # Cheap first: the new quarter on its own, with the carried caseload free within its
        # released box, which holds every value the earlier releases allow.
        alone = network(
            {
                (before.label, "caseload"): carried,
                **{(quarter.label, n): t for n, t in new.items()},
            },
            self.rules,
        )
        if _admits(alone, key, _total_box(carried, self.rules)):
            return True
        # Exact: the values the earlier releases really allow for it.
        if before.label not in self._carried:
            self._carried[before.label] = _exact_interval(network(self.released, self.rules), key)
        allowed = self._carried[before.label]
        return allowed is not None and _admits(arcs, key, allowed)


def _admits(arcs: dict[tuple[str, str], Arc], key: tuple[str, str], values: Bound) -> bool:
    """Is every value in `values` (an interval) feasible for the arc `key`?"""
    low, high = values
    if high is None:
        # Unbounded: it must admit values beyond any finite bound the network could reach.
        beyond = 1 + sum(lo + (hi or 0) for *_, lo, hi in arcs.values())
        return _feasible_with(arcs, key, low, low) and _feasible_with(arcs, key, beyond, None)
    return _feasible_with(arcs, key, low, low) and _feasible_with(arcs, key, high, high)


def _previous(quarter: Period) -> Period:
    assert quarter.quarter is not None
    if quarter.quarter == 1:
        return Period(quarter.fy - 1, 4)
    return Period(quarter.fy, quarter.quarter - 1)
