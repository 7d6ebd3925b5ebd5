"""The provider's statistical return, checked at intake before DPS can see it (G5, G6).

The provider console counts the sealed monitoring answers and protects each one-way table
with app.disclosure; intake trusts none of that and checks every table again under its own
rules. A return is all-or-nothing: any problem refuses the whole return, with every problem
listed, and nothing is stored. A return that passes is then audited with everything released
(app.standards.audit, issue 13): a figure that, read with intake's own tables or earlier
returns, would narrow another is withheld before release, and the manager is told which.
Accepted, it is released at once and never revised, so a
period takes one return from each provider.

Table shape: {"rows": {category code: int or null}, "total": int or null}, with exactly the
categories in catalogue.PROVIDER_TABLES. A year's return is checked against the provider's
own four released quarters with app.disclosure.family_problems.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy.exc import IntegrityError

from app.disclosure import (
    DisclosureRules,
    Period,
    ProtectedTable,
    family_problems,
    is_completed,
    validate_one_way,
)
from app.extensions import intake_db as db
from app.models.intake import Recipient
from app.models.standards import Release
from app.release_facts import Released
from app.return_contract import PROVIDER_TABLES, SAME_POPULATION
from app.standards import audit
from app.standards.stored import as_table, audit_entry, counts_content, new_release, releases


class ReturnRefused(Exception):
    """The return cannot be released; `problems` says why, in words fit for the provider."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def accept_provider_return(
    recipient_id: str,
    period_label: str,
    tables: Mapping[str, Mapping[str, object]],
    rules: DisclosureRules,
    today: date | None = None,
) -> list[Release]:
    """Check a whole return and release it, or raise ReturnRefused listing every problem."""
    today = today or date.today()
    period = _period(period_label, today)
    if db.session.get(Recipient, recipient_id) is None:
        raise ReturnRefused(["No such provider is registered at intake"])
    earlier = releases(source="provider", provider_id=recipient_id, period=period.label)
    if earlier:
        raise ReturnRefused(
            [
                f"The return for {period.label} was released on {_day(earlier[0].released_on)}. "
                "A released table is never revised, so a period takes one return"
            ]
        )
    protected = _read_tables(tables, rules)
    problems = _same_population_problems(protected, rules)
    if period.kind == "year":
        problems += _family_problems(recipient_id, period, protected, rules)
    if problems:
        raise ReturnRefused(problems)
    candidate = [
        Released("provider", recipient_id, period.label, name, counts_content(protected[name]))
        for name in PROVIDER_TABLES
    ]
    # Read with everything released, of both sources, before DPS can see it (issue 13): what
    # would narrow a figure anywhere is withheld, and the manager is told which (`reduction`).
    reduced, result = audit.audited(candidate, rules)
    entry = audit.log_entry(result)
    made = [
        new_release("provider", recipient_id, period, r.table, dict(r.content), today, entry)
        for r in reduced
    ]
    db.session.add_all(made)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ReturnRefused([f"A return for {period.label} was released meanwhile"]) from None
    return made


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _period(label: str, today: date) -> Period:
    try:
        period = Period.from_label(label)
    except ValueError:
        raise ReturnRefused(
            [f"{label!r} is not a period: give a quarter like 2025-26 Q1 or a year like 2025-26"]
        ) from None
    if not is_completed(period, today):
        raise ReturnRefused(
            [
                f"{period.label} ends on {_day(period.end)}: only a completed period can be "
                "released, because a running count would move with each referral"
            ]
        )
    return period


def _read_tables(
    tables: Mapping[str, Mapping[str, object]], rules: DisclosureRules
) -> dict[str, ProtectedTable]:
    if not isinstance(tables, Mapping):
        raise ReturnRefused(["tables must be an object of table name -> table"])
    problems = [
        f"{name}: not a table of this return. Only one-way tables are released: "
        + ", ".join(PROVIDER_TABLES)
        for name in tables
        if name not in PROVIDER_TABLES
    ]
    problems += [
        f"{name}: missing from the return" for name in PROVIDER_TABLES if name not in tables
    ]
    protected = {}
    for name in (n for n in PROVIDER_TABLES if n in tables):
        table, shape_problems = _read_table(name, tables[name], rules)
        problems += shape_problems
        if table is not None:
            problems += [f"{name}: {problem}" for problem in validate_one_way(table, rules)]
            protected[name] = table
    if problems:
        raise ReturnRefused(problems)
    return protected


def _read_table(
    name: str, table: object, rules: DisclosureRules
) -> tuple[ProtectedTable | None, list[str]]:
    if not isinstance(table, Mapping) or set(table) != {"rows", "total"}:
        return None, [
            f'{name}: must be {{"rows": {{category: count or null}}, "total": count or null}}'
        ]
    rows, total = table["rows"], table["total"]
    if not isinstance(rows, Mapping):
        return None, [f"{name}: rows must map each category to a count or null"]
    categories = PROVIDER_TABLES[name].categories
    problems = [f"{name}: unknown category {code!r}" for code in rows if code not in categories]
    problems += [f"{name}: category {code!r} is missing" for code in categories if code not in rows]
    for code, value in [*rows.items(), ("total", total)]:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            # A nested object here would be a second dimension: only one-way tables go out.
            problems.append(f"{name}: {code} must be a single count or null, not {value!r}")
    if problems:
        return None, problems
    ordered = {code: rows[code] for code in categories}
    return ProtectedTable(ordered, total, rules), []


def _same_population_problems(
    protected: dict[str, ProtectedTable], rules: DisclosureRules
) -> list[str]:
    """Tables that count the same cases share one total: one table's released total is the
    total of every other, so each is checked as if its own total were released too."""
    totals = {protected[n].total for n in SAME_POPULATION} - {None}
    if len(totals) > 1:
        return [
            "tables counting the same cases give different totals: "
            + ", ".join(f"{n} {protected[n].total}" for n in SAME_POPULATION)
        ]
    if not totals:
        return []
    known = totals.pop()
    problems = []
    for name in SAME_POPULATION:
        table = protected[name]
        if table.total is None:
            with_total = ProtectedTable(table.rows, known, rules)
            problems += [
                f"{name}: its withheld total is given by the other tables ({known}), and then "
                f"{problem}"
                for problem in validate_one_way(with_total, rules)
            ]
    return problems


def _family_problems(
    recipient_id: str, year: Period, protected: dict[str, ProtectedTable], rules: DisclosureRules
) -> list[str]:
    released = {
        (release.period, release.table_name): release
        for release in releases(source="provider", provider_id=recipient_id)
    }
    missing = [q.label for q in year.quarters() if (q.label, "role_group") not in released]
    if missing:
        return [
            f"{year.label} can be released only after its four quarters; not yet released: "
            + ", ".join(missing)
        ]
    problems = []
    for name, table in protected.items():
        quarters = {q: as_table(released[q.label, name]) for q in year.quarters()}
        problems += [f"{name}: {problem}" for problem in family_problems(quarters, table, rules)]
    return problems


def reduction(made: list[Release]) -> str:
    """What the provider's manager is told if intake withheld more of the return ("" if not)."""
    return audit.reduction(audit_entry(made[0])) if made else ""
