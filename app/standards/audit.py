"""The release audit at intake: nothing becomes visible to DPS before it passes (G6, issue 13).

Every release, intake's own period and each accepted provider return, is audited together
with every table ever released, of all periods and both sources (app.release_facts turns
them into the intruder's facts, app.release_audit solves them). Intake's own release is
reduced until it passes, least useful figures first; a provider return that would narrow
something is refused, naming the figures to withhold, because the provider's manager must
see and approve exactly what goes out. The audit's figures go in each released row's
`audit` column, which the release log shows.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.disclosure import TOTAL, DisclosureRules
from app.release_audit import Facts, Withheld, withhold_until_safe
from app.release_facts import Released, difference, history_facts, parse
from app.return_contract import SAME_POPULATION
from app.standards.stored import content, releases


def released_so_far() -> list[Released]:
    return [
        Released(r.source, r.provider_id, r.period, r.table_name, content(r)) for r in releases()
    ]


def _facts(tables: list[Released]) -> Facts:
    return history_facts(tables, same_population=SAME_POPULATION)


def usefulness(candidate: Facts) -> list[str]:
    """Least useful first: the median, the percentages, the provider's categories, intake's
    categories, figures worked out from totals, and totals last (the ones DPS use most)."""

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


def audited(made: list[Released], rules: DisclosureRules) -> tuple[list[Released], Withheld]:
    """The candidate tables reduced until the audit of everything passes, and the audit."""
    earlier = released_so_far()
    before = _facts(earlier)
    candidate = difference(_facts([*earlier, *made]), before)
    result = withhold_until_safe(before, candidate, usefulness(candidate), rules)
    return withhold(made, result.withheld), result


def withhold(made: list[Released], names: Iterable[str]) -> list[Released]:
    """The tables with the named figures withheld (None)."""
    gone = {parse(n) for n in names}
    out = []
    for r in made:
        key = (r.source, r.provider, r.period, r.table)
        data = dict(r.content)
        data["rows"] = {k: None if (*key, k) in gone else v for k, v in r.content["rows"].items()}
        if (*key, TOTAL) in gone:
            data["total"] = None
        out.append(Released(*key, data))
    return out


def refusal(result: Withheld) -> list[str]:
    """Why a provider return may not be released alongside everything else, for its manager."""
    figures = ", ".join(f"{parse(n)[3]} {parse(n)[4]}" for n in result.withheld)
    return [
        "Read together with the tables already released (intake's own and earlier returns), "
        "this return would let figures be worked out more precisely than the rules allow. "
        f"Withhold these figures and submit again: {figures}"
    ]


def log_text(result: Withheld) -> str:
    """What the release log keeps: that the audit ran and passed, with its figures."""
    audit = result.result
    narrowest = audit.narrowest_withheld
    return (
        f"audit passed: {audit.cells_checked} cells checked; narrowest withheld cell "
        f"{'none' if narrowest is None else narrowest} values; "
        f"{len(result.withheld)} more figures withheld"
    )
