"""The release audit over a return's own tables, before the manager sends it (issue 13).

Each table is protected on its own by app.disclosure, but the tables count the same cases:
they share one total, so one table's rounded rows can narrow another's total below what
rounding promises (rows of 20, 20 and 15 mean at least 49 cases, and a total released as 50
means at most 52: four values, not five). Intake audits every return again with everything
it has released; this runs the same audit (app.release_audit, facts from app.release_facts)
over the return alone, so the manager sees what would be withheld, and why, before sending.
Intake may still withhold more, read against its own tables; the manager is then told.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.disclosure import TOTAL, DisclosureRules, Period, ProtectedTable
from app.release_audit import Facts, Failure, audit, withhold_until_safe
from app.release_facts import Released, history_facts, parse
from app.return_contract import PROVIDER_TABLES, SAME_POPULATION


@dataclass(frozen=True)
class ReturnAudit:
    tables: dict[str, ProtectedTable]  # the tables as they may be sent
    withheld: tuple[str, ...]  # the figures withheld beyond each table's own rules, in words
    findings: tuple[str, ...]  # why: what the tables, read together, would have shown


def audit_return(
    period: Period, tables: Mapping[str, ProtectedTable], rules: DisclosureRules
) -> ReturnAudit:
    """The tables reduced until the audit of the return on its own passes."""
    made = [
        Released("provider", "", period.label, name, _content(table))
        for name, table in tables.items()
    ]
    candidate = history_facts(made, same_population=SAME_POPULATION, rules=rules)
    first = audit(candidate, rules=rules)
    if first.passed:
        return ReturnAudit(dict(tables), (), ())
    result = withhold_until_safe(Facts(), candidate, _usefulness(candidate), rules)
    gone = {(table, code) for _, _, _, table, code in map(parse, result.withheld)}
    reduced = {
        name: ProtectedTable(
            {k: None if (name, k) in gone else v for k, v in table.rows.items()},
            None if (name, TOTAL) in gone else table.total,
            rules,
        )
        for name, table in tables.items()
    }
    withheld = tuple(_words(*parse(n)[3:]) for n in result.withheld)
    return ReturnAudit(reduced, withheld, tuple(_finding(f) for f in first.failures))


def _content(table: ProtectedTable) -> dict[str, object]:
    return {"kind": "counts", "rows": dict(table.rows), "total": table.total}


def _usefulness(candidate: Facts) -> list[str]:
    """Categories before totals (a total is what the reader of a table uses most), in the
    catalogue's order, as intake's own ordering ranks a provider's figures."""
    order = {name: i for i, name in enumerate(PROVIDER_TABLES)}

    def rank(item: str) -> tuple[int, int, str]:
        _, _, _, table, code = parse(item)
        return (code == TOTAL, order.get(table, len(order)), code)

    return sorted(candidate.items(), key=rank)


def _words(table: str, code: str) -> str:
    spec = PROVIDER_TABLES.get(table)
    if spec is None:
        return f"{table}: {code}"
    row = "Total" if code == TOTAL else spec.categories.get(code, code)
    return f"{spec.caption}: {row}"


def _finding(failure: Failure) -> str:
    # The audit's reason, with the figure in the manager's words instead of its cell name.
    reason = failure.reason.removeprefix("withheld but ")
    return f"{_words(*parse(failure.name)[3:])} would be {reason}"
