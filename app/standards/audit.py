"""The release audit at intake: nothing becomes visible to DPS before it passes (G6, issue 13).

Every release, intake's own period and each accepted provider return, is audited together
with every table ever released, of all periods and both sources (app.release_facts turns
them into the intruder's facts, app.release_audit solves them). Intake's own release is
reduced until it passes, least useful figures first; so is a provider return, and the
provider's manager is told exactly which of its figures were withheld (the console's
preview runs the same audit over the return's own tables first, so most reductions are
seen before sending). The audit's figures go in each released row's
`audit` column (JSON), which the release log shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.disclosure import TOTAL, DisclosureRules
from app.release_audit import Facts, Infeasible, Withheld, withhold_until_safe
from app.release_facts import Released, difference, history_facts, parse
from app.return_contract import SAME_POPULATION
from app.standards.stored import content, releases


def released_so_far() -> list[Released]:
    return [
        Released(r.source, r.provider_id, r.period, r.table_name, content(r)) for r in releases()
    ]


# The intruder's readings of how intake's tables and a provider's return relate, strongest
# first: the same withdrawals on both sides; the provider's online cases at most intake's;
# each read on its own. The strongest one that everything released can satisfy is audited
# (a return whose dates disagree with intake's can contradict the stronger readings).
READINGS = (
    {"shared_withdrawals": True},
    {"shared_withdrawals": False},
    {"shared_withdrawals": False, "across_sources": False},
)


def facts(tables: list[Released], rules: DisclosureRules, reading: int = 0) -> Facts:
    return history_facts(tables, same_population=SAME_POPULATION, rules=rules, **READINGS[reading])


def usefulness(candidate: Facts) -> list[str]:
    """Least useful first: the median, the percentages (and the rounded counts they are worked
    out from), the provider's categories, intake's categories, figures worked out from
    totals, and totals last (the ones DPS use most: issue 10)."""

    def rank(item: str) -> tuple[int, str]:
        source, _, _, table, code = parse(item)
        if table in ("service_levels", "hidden"):
            return (0 if code.startswith("median") else 1, item)
        if table == "caseload":
            return (3, item)  # one figure, its own total, and less used than the others
        if table == "demand":
            return (4, item)
        if code == TOTAL:
            return (5, item)
        return (2 if source == "provider" else 3, item)

    return sorted(candidate.items(), key=rank)


def audited(
    made: list[Released], rules: DisclosureRules, earlier: list[Released] | None = None
) -> tuple[list[Released], Withheld]:
    """The candidate tables reduced until the audit of everything passes, and the audit."""
    earlier = released_so_far() if earlier is None else earlier
    # A table already out under the same name (another instance was first) is not audited
    # twice: storing this one will fail, and theirs stands.
    keys = {(r.source, r.provider, r.period, r.table) for r in made}
    earlier = [r for r in earlier if (r.source, r.provider, r.period, r.table) not in keys]
    for reading in range(len(READINGS)):
        before = facts(earlier, rules, reading)
        candidate = difference(facts([*earlier, *made], rules, reading), before)
        try:
            result = withhold_until_safe(before, candidate, usefulness(candidate), rules)
            break
        except Infeasible:
            if reading == len(READINGS) - 1:
                raise
    return withhold(made, result.withheld), result


def withhold(made: list[Released], names: Iterable[str]) -> list[Released]:
    """The tables with the named figures withheld (None).

    A rounded count behind a percentage ("hidden") is dropped from the table's `basis`; the
    audit has already withheld every percentage worked out from it."""
    gone = {parse(n) for n in names}
    out = []
    for r in made:
        key = (r.source, r.provider, r.period, r.table)
        data = dict(r.content)
        data["rows"] = {k: None if (*key, k) in gone else v for k, v in data["rows"].items()}
        if r.content["kind"] == "counts" and (*key, TOTAL) in gone:
            data["total"] = None
            if len(data["rows"]) == 1:  # a one-row table is its own total
                data["rows"] = dict.fromkeys(data["rows"])
        if "basis" in data:
            hidden = (r.source, r.provider, r.period, "hidden")
            data["basis"] = {
                k: None if (*hidden, k) in gone else v for k, v in data["basis"].items()
            }
        out.append(Released(*key, data))
    return out


def withheld_figures(result: Withheld) -> list[str]:
    """The figures the audit withheld, in words: "table category" (rounded counts behind a
    percentage are not figures anyone sees, so they are left out)."""
    shown = [parse(n) for n in result.withheld]
    return [f"{table} {code}" for _, _, _, table, code in shown if table != "hidden"]


def reduction(entry: Mapping[str, Any] | None) -> str:
    """What the provider's manager is told when intake withheld more of a return ("" if
    nothing more was withheld)."""
    if not entry or not entry.get("withheld"):
        return ""
    return (
        "Read together with the tables already released (the referral website's own and "
        "earlier returns), some figures in this return would let a small count be worked "
        "out, so they were withheld and show as [c]: " + ", ".join(entry["withheld"]) + "."
    )


def log_entry(result: Withheld) -> dict[str, Any]:
    """What the release log keeps: that the audit ran and passed, with its figures."""
    audit = result.result
    return {
        "cells_checked": audit.cells_checked,
        "narrowest_withheld": audit.narrowest_withheld,
        "narrowest_rounded": audit.narrowest_rounded,
        "more_withheld": len(result.withheld),
        "withheld": withheld_figures(result),
        "seconds": round(audit.seconds, 2),
    }


def log_text(entry: Mapping[str, Any] | None) -> str:
    """The release log's words for one release's audit."""
    if not entry:
        return "Not audited (released before the audit)"
    narrowest = entry.get("narrowest_withheld")
    return (
        f"Audit passed: {entry['cells_checked']} figures checked; the narrowest withheld "
        f"figure could still be any of {'(none)' if narrowest is None else narrowest} values; "
        f"{entry['more_withheld']} more withheld"
    )
