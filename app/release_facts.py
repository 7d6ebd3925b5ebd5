"""Released tables, as stored, turned into the facts the intruder holds (app.release_audit).

Every table of every period, intake's and each provider's, goes in with what ties it to the
others (DESIGN G6, issue 13):
- each counts table: its cells and its total, which is their sum;
- a year: each of its figures is the sum of its released quarters' (a quarter before the first
  referral was never released and held nothing);
- the caseload: open at the end of a quarter = open at the end of the one before + received -
  closed (withdrawals are closures); nothing was open before the first quarter; a year's
  caseload is its fourth quarter's;
- service levels: each quarter's percentages are over the referrals received and not withdrawn
  (`measured` = received - withdrawn, both never released), whose numerators are never
  released either; the median of days to first contact is over those with a first contact;
  a year's hidden counts are the sums of its quarters';
- the provider's return: tables that count the same cases share one total; its "online" cases
  are intake's referrals of the quarter less those withdrawn (the same withdrawals as
  `measured` when `shared_withdrawals`: the intruder's strongest reading, true when the return
  and intake's release saw the same withdrawals; otherwise only online <= received); each
  outcome is at least intake's closures for that reason (the provider also counts the cases
  that came by phone or email);
- demand figures are worked out from released totals only;
- a percentage worked out from rounded counts (`basis`: the numerators and the denominator,
  each rounded to the base as a released count would be): the intruder is taken to know
  those rounded counts, which are bounds like any released count's, and that the numerator
  and its complement reached the threshold.

A cell's name is "source|provider|period|table|code" ("" provider for intake; "Total" for a
total), and a measure's is the same with its code, so a withheld name leads back to its table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from app.disclosure import TOTAL, DisclosureRules, Period
from app.release_audit import (
    Cell,
    Derived,
    Facts,
    Median,
    Percentage,
    Relation,
    sum_relation,
)

SERVICE_LEVELS = {
    "acknowledged_within_target": "acknowledged_in_time",
    "first_contact_within_target": "contacted_in_time",
}
PUBLIC_DEMAND = ("funded_capacity", "quarters_completed")  # public: nothing to withhold
HIDDEN = ("withdrawn", "measured", "acknowledged_in_time", "contacted_in_time", "contacted")


@dataclass(frozen=True)
class Released:
    """One released (or about to be released) table: where it comes from and its content,
    as app.standards.stored keeps it ({"kind": "counts", "rows", "total"} or measures)."""

    source: str  # "intake" or "provider"
    provider: str  # "" for intake's own tables
    period: str
    table: str
    content: Mapping[str, Any]


def name(source: str, provider: str, period: str, table: str, code: str) -> str:
    return "|".join((source, provider, period, table, code))


def parse(cell: str) -> tuple[str, str, str, str, str]:
    """(source, provider, period, table, code) of a cell or measure name."""
    source, provider, period, table, code = cell.split("|")
    return source, provider, period, table, code


def _hidden(period: str, what: str) -> str:
    return name("intake", "", period, "hidden", what)


def history_facts(
    released: Iterable[Released],
    *,
    same_population: Iterable[str] = (),
    shared_withdrawals: bool = True,
    rules: DisclosureRules | None = None,
    across_sources: bool = True,
) -> Facts:
    """Everything the intruder holds, from every released table of every period."""
    rules = rules or DisclosureRules()
    tables = {(r.source, r.provider, r.period, r.table): r for r in released}
    parts: list[Facts] = []
    for (source, provider, label, table), r in tables.items():
        if r.content["kind"] == "counts":
            parts.append(_counts(source, provider, label, table, r.content, rules))
    intake_periods = sorted(
        {Period.from_label(p) for s, _, p, _ in tables if s == "intake"},
        key=lambda p: (p.end, p.kind == "year"),
    )
    quarters = [p for p in intake_periods if p.kind == "quarter"]
    parts += [_intake_quarter(tables, q, quarters, rules) for q in quarters]
    parts += [_intake_year(tables, y, rules) for y in intake_periods if y.kind == "year"]
    providers = sorted({pr for s, pr, _, _ in tables if s == "provider"})

    for provider in providers:
        labels = {p for s, pr, p, _ in tables if s == "provider" and pr == provider}
        periods = sorted(map(Period.from_label, labels), key=lambda p: (p.end, p.kind))
        for period in periods:
            if period.kind == "quarter":
                # Without `across_sources`, each return is read on its own: only when intake's
                # tables and the return cannot both be true under any reading.
                linked = (
                    tables
                    if across_sources
                    else {k: r for k, r in tables.items() if k[0] == "provider"}
                )
                parts.append(
                    _provider_quarter(
                        linked, provider, period, tuple(same_population), shared_withdrawals
                    )
                )
            else:
                parts.append(_year_sums(tables, "provider", provider, period))
    return sum(parts, Facts())


def _counts(
    source: str,
    provider: str,
    period: str,
    table: str,
    content: Mapping[str, Any],
    rules: DisclosureRules,
) -> Facts:
    rows: Mapping[str, int | None] = content["rows"]
    cells = [Cell(name(source, provider, period, table, k), v) for k, v in rows.items()]
    total = Cell(name(source, provider, period, table, TOTAL), content["total"])
    if len(cells) == 1 and cells[0].value == total.value:
        # A one-row table (the caseload) is its own total: one figure, released once, so
        # its row is the total under another name (withholding the total withholds both).
        row = Cell(cells[0].name, hidden=True)
        return Facts((row, total), (sum_relation(total.name, [row.name]),))
    return Facts((*cells, total), (sum_relation(total.name, [c.name for c in cells], table),))


def _cell(tables: Mapping, key: tuple[str, str, str, str], code: str) -> str | None:
    """The name of a released table's cell, or None if that table was not released."""
    return name(*key, code) if key in tables else None


def _hidden_cells(
    tables: Mapping, label: str, hidden: Mapping[str, str], rules: DisclosureRules
) -> tuple[tuple[Cell, ...], list[Relation]]:
    """The counts behind the service levels: never released, or, when a percentage is worked
    out from their rounded values, known as those rounded values."""
    r = tables.get(("intake", "", label, "service_levels"))
    basis: Mapping[str, int | None] = r.content.get("basis", {}) if r is not None else {}
    cells = tuple(
        Cell(n, basis[what], grounds=True) if basis.get(what) is not None else Cell(n, hidden=True)
        for what, n in hidden.items()
    )
    relations = []
    if r is not None and basis:
        for code, numerator in SERVICE_LEVELS.items():
            if r.content["rows"].get(code) is not None:
                # Released only when the complement reached the threshold too.
                terms = ((hidden["measured"], 1), (hidden[numerator], -1))
                relations.append(Relation(terms, rules.threshold, None, f"{label}: {code}"))
    return cells, relations


def _intake_quarter(
    tables: Mapping, quarter: Period, quarters: list[Period], rules: DisclosureRules
) -> Facts:
    label = quarter.label
    hidden = {what: _hidden(label, what) for what in HIDDEN}
    cells, relations = _hidden_cells(tables, label, hidden, rules)
    relations += [
        Relation(((hidden["measured"], 1), (hidden["acknowledged_in_time"], -1)), 0, None),
        Relation(((hidden["contacted"], 1), (hidden["contacted_in_time"], -1)), 0, None),
        Relation(((hidden["measured"], 1), (hidden["contacted"], -1)), 0, None),
    ]
    received = _cell(tables, ("intake", "", label, "received"), TOTAL)
    closed = _cell(tables, ("intake", "", label, "closures"), TOTAL)
    if received:
        measured = ((hidden["measured"], 1), (hidden["withdrawn"], 1), (received, -1))
        relations.append(Relation(measured, 0, 0, f"{label}: measured = received - withdrawn"))
    open_end = _cell(tables, ("intake", "", label, "caseload"), TOTAL)
    index = quarters.index(quarter)
    before = quarters[index - 1] if index else None
    follows = before is None or _next(before) == quarter
    if open_end and received and closed and follows:
        terms: list[tuple[str, int]] = [(open_end, 1), (received, -1), (closed, 1)]
        if before is not None:
            open_start = _cell(tables, ("intake", "", before.label, "caseload"), TOTAL)
            if open_start is None:
                terms = []
            else:
                terms.append((open_start, -1))
        if terms:
            relations.append(Relation(tuple(terms), 0, 0, f"{label}: the caseload identity"))
    measures = _service_levels(tables, label, hidden, rules)
    derived = _demand(
        tables, label, [q for q in quarters if q.fy == quarter.fy and q.start <= quarter.start]
    )
    return Facts(cells, tuple(relations), *measures, derived)


def _next(quarter: Period) -> Period:
    assert quarter.quarter is not None
    return (
        Period(quarter.fy + 1, 1)
        if quarter.quarter == 4
        else Period(quarter.fy, quarter.quarter + 1)
    )


def _service_levels(
    tables: Mapping, label: str, hidden: Mapping[str, str], rules: DisclosureRules
) -> tuple[tuple[Percentage, ...], tuple[Median, ...]]:
    r = tables.get(("intake", "", label, "service_levels"))
    if r is None:
        return (), ()
    figures = r.content["rows"]
    steps = r.content.get("steps", {})
    from_rounded = "basis" in r.content
    percentages = tuple(
        Percentage(
            name("intake", "", label, "service_levels", code),
            hidden[numerator],
            hidden["measured"],
            figures.get(code),
            step=int(steps.get(code, 1)),
            from_rounded=from_rounded,
        )
        for code, numerator in SERVICE_LEVELS.items()
        if code in figures
    )
    code = "median_days_to_first_contact"
    medians = (
        (
            Median(
                name("intake", "", label, "service_levels", code),
                hidden["contacted"],
                figures[code],
            ),
        )
        if code in figures
        else ()
    )
    return percentages, medians


def _demand(tables: Mapping, label: str, to_date: list[Period]) -> tuple[Derived, ...]:
    r = tables.get(("intake", "", label, "demand"))
    if r is None:
        return ()
    inputs = tuple(
        n
        for q in to_date
        if (n := _cell(tables, ("intake", "", q.label, "received"), TOTAL)) is not None
    )
    return tuple(
        Derived(name("intake", "", label, "demand", code), inputs, value is not None)
        for code, value in r.content["rows"].items()
        if code not in PUBLIC_DEMAND
    )


def _intake_year(tables: Mapping, year: Period, rules: DisclosureRules) -> Facts:
    label = year.label
    quarters = [q.label for q in year.quarters() if ("intake", "", q.label, "received") in tables]
    hidden = {what: _hidden(label, what) for what in HIDDEN}
    cells, relations = _hidden_cells(tables, label, hidden, rules)
    relations += [
        sum_relation(hidden[what], [_hidden(q, what) for q in quarters], f"{label} {what}")
        for what in HIDDEN
    ]
    facts = Facts(cells, tuple(relations), *_service_levels(tables, label, hidden, rules))
    facts += Facts(derived=_demand(tables, label, [year]))
    q4 = _cell(tables, ("intake", "", year.quarters()[3].label, "caseload"), TOTAL)
    open_end = _cell(tables, ("intake", "", label, "caseload"), TOTAL)
    if q4 and open_end:
        facts += Facts(relations=(Relation(((open_end, 1), (q4, -1)), 0, 0, f"{label} caseload"),))
    return facts + _year_sums(tables, "intake", "", year, skip=("caseload",))


def _year_sums(
    tables: Mapping, source: str, provider: str, year: Period, skip: tuple[str, ...] = ()
) -> Facts:
    relations = []
    for (s, pr, label, table), r in tables.items():
        if (s, pr, label) != (source, provider, year.label) or table in skip:
            continue
        if r.content["kind"] != "counts":
            continue
        quarters = [
            (s, pr, q.label, table) for q in year.quarters() if (s, pr, q.label, table) in tables
        ]
        if source == "provider" and len(quarters) < 4:
            continue  # a provider's year follows its four quarters; without them, no sum
        for code in [*r.content["rows"], TOTAL]:
            parts = [name(*q, code) for q in quarters]
            relations.append(
                sum_relation(name(s, pr, label, table, code), parts, f"{label} {table}")
            )
    return Facts(relations=tuple(relations))


def _provider_quarter(
    tables: Mapping,
    provider: str,
    quarter: Period,
    same_population: tuple[str, ...],
    shared_withdrawals: bool,
) -> Facts:
    label = quarter.label
    relations = []
    totals = [
        name("provider", provider, label, t, TOTAL)
        for t in same_population
        if ("provider", provider, label, t) in tables
    ]
    for a, b in pairwise(totals):
        relations.append(Relation(((a, 1), (b, -1)), 0, 0, f"{label}: the same cases"))
    online = _cell(tables, ("provider", provider, label, "other_routes"), "online")
    received = _cell(tables, ("intake", "", label, "received"), TOTAL)
    if online and received:
        if shared_withdrawals:
            measured = _hidden(label, "measured")
            relations.append(Relation(((online, 1), (measured, -1)), 0, 0, f"{label}: online"))
        else:
            relations.append(Relation(((received, 1), (online, -1)), 0, None, f"{label}: online"))
    cells = []
    outcomes = ("provider", provider, label, "outcomes")
    closures = ("intake", "", label, "closures")
    if outcomes in tables and closures in tables:
        for code in tables[outcomes].content["rows"]:
            if code in tables[closures].content["rows"]:
                manual = name("provider", provider, label, "hidden", f"other routes {code}")
                cells.append(Cell(manual, hidden=True))
                terms = ((name(*outcomes, code), 1), (name(*closures, code), -1), (manual, -1))
                relations.append(Relation(terms, 0, 0, f"{label}: outcomes include closures"))
    return Facts(tuple(cells), tuple(relations))


def difference(full: Facts, before: Facts) -> Facts:
    """The facts in `full` that are not in `before` (what a candidate release adds)."""

    def new(items: tuple, old: tuple) -> tuple:
        seen = set(old)
        return tuple(i for i in items if i not in seen)

    return Facts(
        new(full.cells, before.cells),
        new(full.relations, before.relations),
        new(full.percentages, before.percentages),
        new(full.medians, before.medians),
        new(full.derived, before.derived),
    )
