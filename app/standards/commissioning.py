"""The commissioning view: is demand outgrowing funded capacity, and is the provider meeting
its KPIs? (issue 10, item 7; the commissioning decision's sections 2.2 and 2.3).

Every figure is read from released tables through `stored` (G6): the demand table of each
released financial year, the demand table of the newest released quarter of a year not yet
released (its projection), the service levels of each released quarter, and, to explain
where two sources differ, the released totals of intake's and the providers' tables. Nothing
here counts a referral. The KPI targets are configuration (KPI_TARGETS, app/config.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app

from app.disclosure import Period
from app.return_contract import INTAKE_TABLES, SAME_POPULATION
from app.standards.charts import Bar, Chart, Target, horizontal_bars
from app.standards.dashboard import figure_text
from app.standards.stored import Measure, content, period_order, releases

KPIS = ("acknowledged_within_target", "first_contact_within_target",
        "median_days_to_first_contact")
PERCENT_KPIS = KPIS[:2]


@dataclass(frozen=True)
class DemandRow:
    year: str  # "2025-26"
    received: Measure  # referrals received in the year (or so far, for a projection)
    capacity: Measure
    percent: Measure  # received as a % of funded capacity
    projected_after: str = ""  # "Q2" when this row is the current year's projection
    projected: Measure = None
    low: Measure = None
    high: Measure = None
    projected_percent: Measure = None

    @property
    def words(self) -> str:
        if self.projected_after:
            return f"{self.year} (projected after {self.projected_after})"
        return self.year

    def shown(self, figure: Measure, suffix: str = "") -> str:
        text = figure_text(figure)
        return text + suffix if figure is not None else text


@dataclass(frozen=True)
class KpiRow:
    quarter: str
    figures: dict[str, Measure]  # KPI code -> released figure


@dataclass(frozen=True)
class Difference:
    """One period where intake's released count and a provider's return's differ."""

    period: str
    measure: str  # "received" or "closed"
    intake: Measure
    provider: Measure
    by_phone: Measure = None  # received only: the provider's other routes
    by_email: Measure = None
    routes_known: bool = False  # the return has an "other routes" table for the period


def _by_period(table: str, source: str = "intake") -> dict[str, dict[str, Any]]:
    return {r.period: content(r) for r in releases(source=source) if r.table_name == table}


def _rows(stored: Mapping[str, Any] | None) -> dict[str, Measure]:
    return dict(stored["rows"]) if stored else {}


def demand() -> list[DemandRow]:
    """Each released financial year oldest first, then this year's projection if released."""
    tables = _by_period("demand")
    years = sorted((p for p in tables if Period.from_label(p).kind == "year"), key=period_order)
    rows = []
    for year in years:
        figures = _rows(tables[year])
        rows.append(DemandRow(year, figures.get("received_to_date"),
                              figures.get("funded_capacity"), figures.get("percent_of_capacity")))
    unreleased = [p for p in tables
                  if Period.from_label(p).kind == "quarter" and p.split(" ")[0] not in years]
    if unreleased:
        newest = max(unreleased, key=period_order)
        figures = _rows(tables[newest])
        if "projected_year_total" in figures:
            rows.append(DemandRow(
                newest.split(" ")[0], figures.get("received_to_date"),
                figures.get("funded_capacity"), figures.get("percent_of_capacity"),
                projected_after=newest.split(" ")[1],
                projected=figures.get("projected_year_total"),
                low=figures.get("projection_low"), high=figures.get("projection_high"),
                projected_percent=figures.get("projected_percent_of_capacity"),
            ))
    return rows


def kpis() -> list[KpiRow]:
    """The service levels of every released quarter, oldest first."""
    tables = _by_period("service_levels")
    quarters = sorted((p for p in tables if Period.from_label(p).kind == "quarter"),
                      key=period_order)
    return [KpiRow(q, {code: _rows(tables[q]).get(code) for code in KPIS}) for q in quarters]


def targets() -> dict[str, int]:
    return dict(current_app.config["KPI_TARGETS"])


def kpi_words() -> dict[str, str]:
    return dict(INTAKE_TABLES["service_levels"].categories)


def meets(code: str, figure: Measure, target: int) -> bool | None:
    """Whether a released figure meets its target; None when it was withheld."""
    if figure is None:
        return None
    return figure <= target if code == "median_days_to_first_contact" else figure >= target


def demand_chart(rows: list[DemandRow]) -> Chart:
    bars = [
        Bar(row.words, row.received, figure_text(row.received), mark=row.capacity,
            extends_to=row.projected)
        for row in rows
    ]
    key = [("received", "Referrals received"), ("mark", "Funded capacity")]
    if any(row.projected_after for row in rows):
        key.insert(1, ("projected", "Projected for the whole year"))
    return horizontal_bars("demand", "Referrals received each financial year against funded "
                           "capacity", bars, key=key)


def kpi_chart(code: str, rows: list[KpiRow], target: int) -> Chart:
    suffix = "%" if code in PERCENT_KPIS else ""
    bars = [Bar(row.quarter, row.figures[code],
                figure_text(row.figures[code]) + (suffix if row.figures[code] is not None else ""))
            for row in rows]
    words = kpi_words()[code]
    target_words = f"Target {target}{suffix}" if suffix else f"Target {target} days or fewer"
    return horizontal_bars(f"kpi-{code}", f"{words}, each released quarter", bars,
                           target=Target(target, target_words))


def _totals(table: str, source: str) -> dict[tuple[str, str], Measure]:
    """(period, provider id) -> the released total of a counts table."""
    return {(r.period, r.provider_id): content(r).get("total")
            for r in releases(source=source) if r.table_name == table}


def _provider_routes(period: str, provider: str) -> dict[str, Measure]:
    found = [r for r in releases(source="provider", provider_id=provider, period=period)
             if r.table_name == "other_routes"]
    return _rows(content(found[0])) if found else {}


def differences() -> list[Difference]:
    """Where intake's count and a provider's return count differ, newest first. Why they
    differ is the same every time, so the page says it once above each table."""
    received = _totals("received", "intake")
    closures = _totals("closures", "intake")
    found: list[Difference] = []
    provider_received: dict[tuple[str, str], Measure] = {}
    for release in releases(source="provider"):
        if release.table_name in SAME_POPULATION:
            provider_received.setdefault((release.period, release.provider_id),
                                         content(release).get("total"))
    outcomes = _totals("outcomes", "provider")
    for (period, provider), theirs in provider_received.items():
        ours = received.get((period, ""))
        if ours is None or theirs is None or ours == theirs:
            continue
        routes = _provider_routes(period, provider)
        found.append(Difference(period, "received", ours, theirs, routes.get("phone"),
                                routes.get("email"), routes_known=bool(routes)))
    for (period, _provider), theirs in outcomes.items():
        ours = closures.get((period, ""))
        if ours is None or theirs is None or ours == theirs:
            continue
        found.append(Difference(period, "closed", ours, theirs))
    return sorted(found, key=lambda d: period_order(d.period), reverse=True)
