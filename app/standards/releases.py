"""Releasing intake's own tables: each completed period once, frozen, never revised (G6).

`release_due` releases every completed period not yet released, oldest first (a year after
its quarters, since the year is protected against them). It runs from `flask standards
release` and lazily whenever the dashboard opens; it is idempotent, and two instances racing
are stopped by the one-release-per-table constraint. What is released is stored as released:
a referral that later turns up with an old date changes nothing that DPS has seen.

A period is released STANDARDS_SETTLE_DAYS after it ends (see settings.py), so the current
period, and any referral just submitted, never moves a figure that DPS can see (G5).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.disclosure import (
    DisclosureRules,
    Period,
    ProtectedTable,
    completed_periods,
    median_or_none,
    percentage_or_none,
    period_for,
    protect_one_way,
    protect_year,
    year_percentage_or_none,
)
from app.extensions import intake_db as db
from app.models.standards import Release
from app.release_audit import percentage_from_rounded, whole_median
from app.release_facts import Released
from app.standards import audit, demand, measures, settings
from app.standards.linked import LINKED, LinkedCheck, withheld
from app.standards.stored import (
    Measure,
    as_table,
    counts_content,
    measures_content,
    new_release,
    releases,
)

Candidate = dict[str, ProtectedTable]  # table name -> protected table, for one period


def release_due(today: date | None = None) -> list[Release]:
    """Release every period that has completed (and settled) but is not yet released."""
    today = today or date.today()
    first = measures.first_received_on()
    if first is None:
        return []
    settled = today - timedelta(days=int(current_app.config["STANDARDS_SETTLE_DAYS"]))
    done = {release.period for release in releases(source="intake")}
    made: list[Release] = []
    for period in completed_periods(settled, first):
        if period.label in done:
            continue
        try:
            made += _release(period, today)
        except IntegrityError:
            db.session.rollback()  # another instance released it first: theirs stands
    return made


def release_date(period: Period) -> date:
    """The first day `period` can be released."""
    return period.end + timedelta(days=int(current_app.config["STANDARDS_SETTLE_DAYS"]) + 1)


def _release(period: Period, today: date) -> list[Release]:
    rules = settings.rules()
    linked = {
        (release.period, release.table_name): as_table(release)
        for release in releases(source="intake")
        if release.table_name in LINKED
    }
    if period.kind == "quarter":
        counts, tables, variants = _quarter_counts(period, rules)
    else:
        counts, tables, variants = _year_counts(period, linked, rules)
    check = LinkedCheck(linked, rules)
    options = list(variants(counts, tables, rules))
    # The last option withholds the whole period, which adds nothing, so it always passes;
    # it is also the answer if something unforeseen made every option fail.
    tables = next((o for o in options if not check.problems(period, o)), options[-1])
    content = {name: counts_content(tables[name]) for name in LINKED}
    content["service_levels"] = _service_levels(period, rules)
    content["demand"] = _demand(period, tables, rules)
    order = ("received", "service_levels", "caseload", "closures", "demand")
    candidate = [Released("intake", "", period.label, name, content[name]) for name in order]
    # Nothing becomes visible before the audit of everything released passes (issue 13).
    made, result = audit.audited(candidate, rules)
    entry = audit.log_entry(result)
    rows = [new_release("intake", "", period, r.table, dict(r.content), today, entry) for r in made]
    db.session.add_all(rows)
    db.session.commit()
    return rows


Counts = dict[str, dict[str, int]]
Variants = Callable[[Counts, Candidate, DisclosureRules], Iterator[Candidate]]


def _quarter_counts(period: Period, rules: DisclosureRules) -> tuple[Counts, Candidate, Variants]:
    counts = {
        "received": measures.received_by_service(period),
        "caseload": measures.open_at_end(period),
        "closures": measures.closures(period),
    }
    return counts, {n: protect_one_way(c, rules) for n, c in counts.items()}, _quarter_variants


def _quarter_variants(
    counts: Counts, tables: Candidate, rules: DisclosureRules
) -> Iterator[Candidate]:
    """Ever more withheld, ending with nothing of the quarter (which is always safe)."""
    yield tables
    tables = {**tables, "caseload": withheld(tables["caseload"])}
    yield tables
    # The outcome rows go with the closures total: a row released under a withheld total
    # bounds that total from below, and once the year's total pins the sum of the quarters,
    # a lower bound on one quarter's closures is an upper bound on another's, which with
    # the caseload can prove a small count non-zero; the year would then lose its received
    # total and its share of funded capacity (issue 10: the demo's 2022-23). Rows without
    # their total are the least useful figures anyway.
    tables = {**tables, "closures": withheld(tables["closures"])}
    yield tables
    # Withholding a total only widens what the attacker can infer, so the table alone stays
    # safe; withholding the whole table leaves nothing at all.
    tables = {**tables, "received": replace(tables["received"], total=None)}
    yield tables
    tables = {**tables, "received": withheld(tables["received"])}
    yield tables


def _year_counts(
    period: Period, linked: dict[tuple[str, str], ProtectedTable], rules: DisclosureRules
) -> tuple[Counts, Candidate, Variants]:
    counts = {
        "received": measures.received_by_service(period),
        "closures": measures.closures(period),
    }
    tables = {}
    for name, year_counts in counts.items():
        quarters = {
            q: linked[q.label, name] for q in period.quarters() if (q.label, name) in linked
        }
        tables[name] = protect_year(year_counts, quarters, rules)
    # The open caseload at the end of the year is the fourth quarter's: the same figure.
    tables["caseload"] = linked[period.quarters()[3].label, "caseload"]
    return counts, tables, _year_variants


def _year_variants(
    counts: Counts, tables: Candidate, rules: DisclosureRules
) -> Iterator[Candidate]:
    """Ever more withheld, the least useful first: a table's parts (outcome rows, received by
    service) go before its total, and the closures before the received total, which DPS use
    most (issue 10: it gives the share of funded capacity). The quarters are out already, so
    each option can only withhold more of the year."""
    yield tables
    for name in ("closures", "received"):
        table = tables[name]
        if table.total is not None:
            if any(v is not None for v in table.rows.values()):
                # Every part at once: withholding a larger part while a smaller one stays
                # released would break the "smallest first" app.disclosure's attacker assumes.
                yield {**tables, name: replace(table, rows=dict.fromkeys(table.rows))}
            yield {**tables, name: replace(table, total=None)}
        tables = {**tables, name: withheld(table)}
        yield tables


def _service_levels(period: Period, rules: DisclosureRules) -> dict:
    """Each percentage is worked out from the counts rounded to the base, as a released count
    is, so it says nothing finer than they would (issue 13: a whole-number percentage of
    exact counts pinned its denominator). It is released only when its numerator and their
    complement both reach the threshold, and a year's only when every quarter's was. The
    rounded counts are kept with it (`basis`, never shown) for the release audit."""
    targets = settings.targets()
    quarters = [period] if period.kind == "quarter" else period.quarters()
    found = [measures.service_levels(q, targets) for q in quarters]
    # A quarter before the first referral holds nobody; it cannot be found by subtraction.
    found = [q for q in found if q.measured] or found
    year = sum(found[1:], found[0])
    b = rules.rounding_base
    rows: dict[str, Measure] = {}
    basis: dict[str, int | None] = {}
    for code, numerator in (
        ("acknowledged_within_target", "acknowledged_in_time"),
        ("first_contact_within_target", "contacted_in_time"),
    ):
        parts = [(getattr(q, numerator), q.measured) for q in found]
        if period.kind == "quarter":
            allowed = percentage_or_none(*parts[0], rules) is not None
        else:
            allowed = year_percentage_or_none(parts, rules) is not None
        top = _round(getattr(year, numerator), b) if allowed else None
        rows[code] = percentage_from_rounded(top, _round(year.measured, b))
        basis[numerator] = top
    released = any(v is not None for v in rows.values())
    basis["measured"] = _round(year.measured, b) if released else None
    rows["median_days_to_first_contact"] = whole_median(median_or_none(year.sorted_days(), rules))
    return {**measures_content(rows), "basis": basis}


def _round(n: int, base: int) -> int:
    return (2 * n + base) // (2 * base) * base  # half up, as app.disclosure rounds a count


def _demand(period: Period, tables: Candidate, rules: DisclosureRules) -> dict:
    capacity = current_app.config["FUNDED_CAPACITY"].get(Period(period.fy).label)
    if period.quarter is None:
        return measures_content(demand.year_demand(tables["received"].total, capacity))
    released = {
        r.period: as_table(r).total for r in releases(source="intake") if r.table_name == "received"
    }
    released[period.label] = tables["received"].total
    totals = [released[q.label] for q in period.quarters()[: period.quarter] if q.label in released]
    return measures_content(demand.quarter_demand(period, totals, capacity, rules))


def next_release(today: date) -> tuple[Period, date]:
    """The next quarter to be released, and the day it will be (for the dashboard)."""
    settle = timedelta(days=int(current_app.config["STANDARDS_SETTLE_DAYS"]))
    quarter = period_for(today - settle, "quarter")
    return quarter, release_date(quarter)
