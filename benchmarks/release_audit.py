"""How long the release audit takes (app.release_audit, issue 13): target under 10 s.

Two histories, made from the demo generator without a database: the demo history (April 2022
to September 2026: 18 quarters and 4 years, intake's tables and a provider return per quarter)
and ten years of a service ten times larger. For each:

- "as released before the audit": every table protected as app.standards released them
  (whole-number percentages, medians to the half day), then one audit of all of it: how much
  the intruder could narrow, and how long the audit takes;
- "released with the audit": each period released in turn (intake's tables, then the
  provider's return, a year after its fourth quarter), coarsened percentages and whole-day
  medians, with `withhold_until_safe` at every release: the time of each release and of a
  final audit of everything.

Run: `.venv/bin/python -m benchmarks.release_audit` (add `--quick` for the demo history only,
`--large` for the larger one only). Each release's time is printed as it is made.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.disclosure import (
    TOTAL,
    DisclosureRules,
    Period,
    ProtectedTable,
    completed_periods,
    median_or_none,
    percentage_or_none,
    protect_one_way,
    protect_year,
)
from app.release_audit import (
    Facts,
    audit,
    forget,
    percentage_from_rounded,
    whole_median,
    withhold_until_safe,
)
from app.release_facts import Released, difference, history_facts, parse
from app.standards.audit import withhold
from app.working_days import working_days_between
from demo.history import SyntheticCase, history

RULES = DisclosureRules()
SERVICES = ("idva", "isva", "not_sure")
REASONS = (
    "support_completed",
    "no_contact_possible",
    "declined",
    "referred_on",
    "withdrawn",
    "other",
)
CLOSURES = (*REASONS, "withdrawn_by_referrer")
ANSWERED = ("police_connected", "role_group", "age_group", "sex", "ethnicity", "disability")
PROVIDER = "provider-1"


@dataclass
class Truth:
    """True counts of one history, by period, as intake and the console count them."""

    cases: list[SyntheticCase]
    categories: dict[str, list[str]]

    def online(self) -> list[SyntheticCase]:
        return [c for c in self.cases if c.source == "online"]

    def received(self, p: Period) -> dict[str, int]:
        found = Counter(c.service for c in self.online() if p.start <= c.received_on <= p.end)
        return {s: found[s] for s in SERVICES}

    def closures(self, p: Period) -> dict[str, int]:
        found: Counter[str] = Counter()
        for c in self.online():
            closed = c.withdrawn_on or c.closed_on
            if closed is not None and p.start <= closed <= p.end:
                found[
                    "withdrawn_by_referrer" if c.withdrawn_on else c.closure_reason or "other"
                ] += 1
        return {r: found[r] for r in CLOSURES}

    def caseload(self, p: Period) -> dict[str, int]:
        n = 0
        for c in self.online():
            closed = c.withdrawn_on or c.closed_on
            n += c.received_on <= p.end and (closed is None or closed > p.end)
        return {"open": n}

    def service_levels(self, p: Period) -> tuple[int, int, int, list[int]]:
        """(acknowledged in time, contacted in time, measured, sorted days to first contact)."""
        ack = contacted = measured = 0
        days = []
        for c in self.online():
            if not p.start <= c.received_on <= p.end or c.withdrawn_on:
                continue
            measured += 1
            if c.acknowledged_on and working_days_between(c.received_on, c.acknowledged_on) <= 1:
                ack += 1
            if c.first_contact_on:
                d = working_days_between(c.received_on, c.first_contact_on)
                days.append(d)
                contacted += d <= (1 if c.urgent else 2)
        return ack, contacted, measured, sorted(days)

    def provider(self, q: Period) -> dict[str, dict[str, int]]:
        current = [
            c for c in self.cases if c.withdrawn_on is None and q.start <= c.received_on <= q.end
        ]
        tables = {
            name: dict(Counter(c.answers.get(name) or "not_answered" for c in current))
            for name in ANSWERED
        }
        tables["other_routes"] = dict(Counter(c.source for c in current))
        closed = [
            c
            for c in self.cases
            if c.withdrawn_on is None and c.closed_on and q.start <= c.closed_on <= q.end
        ]
        tables["outcomes"] = dict(Counter(c.closure_reason or "other" for c in closed))
        return {n: {k: t.get(k, 0) for k in self.categories[n]} for n, t in tables.items()}


def truth(today: date, scale: float) -> Truth:
    cases = history(today, scale=scale)
    categories = {
        name: sorted({c.answers.get(name) or "not_answered" for c in cases} | {"not_answered"})
        for name in ANSWERED
    }
    categories["other_routes"] = ["online", "phone", "email"]
    categories["outcomes"] = list(REASONS)
    return Truth(cases, categories)


def _round5(n: int) -> int:
    return (2 * n + 5) // 10 * 5


def counts(table: ProtectedTable) -> dict[str, Any]:
    return {"kind": "counts", "rows": dict(table.rows), "total": table.total}


@dataclass
class Releaser:
    """Releases a history period by period, as intake would, keeping what it released."""

    truth: Truth
    audited: bool  # False: as released before the audit
    released: list[Released]
    protected: dict[tuple[str, str], ProtectedTable]
    times: list[float]
    withheld: int = 0

    def period(self, p: Period) -> list[Released]:
        made = self._intake(p)
        if p.kind == "quarter":
            made += self._provider(p)
        if self.audited:
            started = time.perf_counter()
            made = self._audit(made)
            self.times.append(time.perf_counter() - started)
        self.released += made
        for r in made:
            if r.content["kind"] == "counts":
                rows, total = r.content["rows"], r.content["total"]
                self.protected[r.period, f"{r.source}:{r.table}"] = ProtectedTable(
                    rows, total, RULES
                )
        return made

    def _table(self, p: Period, name: str, true: dict[str, int]) -> dict[str, Any]:
        if p.kind == "quarter":
            return counts(protect_one_way(true, RULES))
        quarters = {
            q: self.protected[q.label, name]
            for q in p.quarters()
            if (q.label, name) in self.protected
        }
        return counts(protect_year(true, quarters, RULES))

    def _intake(self, p: Period) -> list[Released]:
        t = self.truth
        tables = {
            "received": self._table(p, "intake:received", t.received(p)),
            "closures": self._table(p, "intake:closures", t.closures(p)),
        }
        if p.kind == "quarter":
            tables["caseload"] = counts(protect_one_way(t.caseload(p), RULES))
        else:
            tables["caseload"] = counts(self.protected[p.quarters()[3].label, "intake:caseload"])
        tables["service_levels"] = self._service_levels(p)
        received = [
            self.protected.get((q.label, "intake:received"))
            for q in p.quarters()
            if q.start <= p.start
        ]
        totals = [r.total if r else None for r in received] + [tables["received"]["total"]]
        if p.kind == "year":
            totals = [tables["received"]["total"]]
        known = None if None in totals else sum(totals)  # type: ignore[arg-type]
        tables["demand"] = {"kind": "measures", "rows": {"received_to_date": known}}
        return [Released("intake", "", p.label, n, c) for n, c in tables.items()]

    def _service_levels(self, p: Period) -> dict[str, Any]:
        quarters = [p] if p.kind == "quarter" else p.quarters()
        found = [self.truth.service_levels(q) for q in quarters]
        ack = sum(f[0] for f in found)
        contacted = sum(f[1] for f in found)
        measured = sum(f[2] for f in found)
        days = sorted(d for f in found for d in f[3])
        median = median_or_none(days, RULES)
        if not self.audited:
            rows = {
                "acknowledged_within_target": percentage_or_none(ack, measured, RULES),
                "first_contact_within_target": percentage_or_none(contacted, measured, RULES),
                "median_days_to_first_contact": median,
            }
            return {"kind": "measures", "rows": rows}
        # As app.standards.releases does: from the counts rounded to the base (issue 13).
        a5, c5, m5 = (_round5(n) for n in (ack, contacted, measured))
        top_a = a5 if percentage_or_none(ack, measured, RULES) is not None else None
        top_c = c5 if percentage_or_none(contacted, measured, RULES) is not None else None
        rows = {
            "acknowledged_within_target": percentage_from_rounded(top_a, m5),
            "first_contact_within_target": percentage_from_rounded(top_c, m5),
            "median_days_to_first_contact": whole_median(median),
        }
        basis = {
            "acknowledged_in_time": top_a,
            "contacted_in_time": top_c,
            "measured": m5 if top_a is not None or top_c is not None else None,
        }
        return {"kind": "measures", "rows": rows, "basis": basis}

    def _provider(self, q: Period) -> list[Released]:
        return [
            Released("provider", PROVIDER, q.label, n, counts(protect_one_way(c, RULES)))
            for n, c in self.truth.provider(q).items()
        ]

    def _audit(self, made: list[Released]) -> list[Released]:
        before = history_facts(self.released, same_population=SAME)
        full = history_facts([*self.released, *made], same_population=SAME)
        candidate = difference(full, before)
        result = withhold_until_safe(before, candidate, usefulness(candidate), RULES)
        self.withheld += len(result.withheld)
        return withhold(made, result.withheld)


SAME = (*ANSWERED, "other_routes")


def usefulness(candidate: Facts) -> list[str]:
    """Least useful first: medians, percentages, provider cells, intake cells, derived
    figures, and totals last."""

    def rank(item: str) -> tuple[int, str]:
        source, _, _, table, code = parse(item)
        if table == "service_levels":
            return (0 if code.startswith("median") else 1, item)
        if table == "demand":
            return (4, item)
        if code == TOTAL:
            return (5, item)
        return (2 if source == "provider" else 3, item)

    return sorted(candidate.items(), key=rank)


def periods(today: date) -> list[Period]:
    return completed_periods(today, date(2022, 4, 1))


def say(line: str) -> None:
    """Print at once, so that a run stopped by a time limit still says how far it got."""
    print(line, flush=True)


def run(label: str, today: date, scale: float) -> None:
    t = truth(today, scale)
    ps = periods(today)
    say(f"## {label}: {len(ps)} periods, {len(t.online())} online referrals, scale {scale}")
    plain = Releaser(t, False, [], {}, [])
    for p in ps:
        plain.period(p)
    facts = history_facts(plain.released, same_population=SAME)
    forget()
    say(f"- as released before the audit: {len(plain.released)} tables; auditing them all...")
    started = time.perf_counter()
    before = audit(facts, rules=RULES)
    took = time.perf_counter() - started
    pinned = [f for f in before.failures if f.interval[0] == f.interval[1]]
    say(f"  {before.summary()}")
    say(f"  {len(before.failures)} failures ({len(pinned)} pinned to one value); {took:.2f} s")
    for f in before.failures[:4]:
        say(f"    e.g. {f}")
    say("- released with the audit, period by period (audit + withholding per release):")
    audited = Releaser(t, True, [], {}, [])
    started = time.perf_counter()
    for p in ps:
        withheld = audited.withheld
        audited.period(p)
        times = audited.times
        say(
            f"  {p.label:>12}: {times[-1]:7.2f} s, {audited.withheld - withheld:3d} withheld"
            f" | so far {len(times)}/{len(ps)}: median {statistics.median(times):.2f} s,"
            f" max {max(times):.2f} s, total {time.perf_counter() - started:.1f} s"
        )
    backfill = time.perf_counter() - started
    times = audited.times
    say(
        f"  {audited.withheld} more figures withheld over the history; per release median "
        f"{statistics.median(times):.2f} s, max {max(times):.2f} s, last {times[-1]:.2f} s; "
        f"whole backfill {backfill:.1f} s"
    )
    facts = history_facts(audited.released, same_population=SAME)
    forget()
    started = time.perf_counter()
    after = audit(facts, rules=RULES)
    took = time.perf_counter() - started
    say(f"  final audit of everything: {after.summary()}; {took:.2f} s")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the demo history only")
    parser.add_argument("--large", action="store_true", help="the ten-times-larger history only")
    args = parser.parse_args(argv)
    if not args.large:
        run("demo history", date(2026, 12, 5), 1.0)
    if not args.quick:
        run("ten years, ten times larger", date(2032, 4, 20), 10.0)


if __name__ == "__main__":
    main()
