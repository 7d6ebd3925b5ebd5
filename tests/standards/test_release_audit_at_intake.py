"""app.standards.audit: the release audit over intake's stored releases (not yet wired into
releases.py and provider_returns.py: see issue 13)."""

from __future__ import annotations

from collections.abc import Callable

from app.disclosure import DisclosureRules
from app.release_audit import Facts, Percentage
from app.release_facts import Released, history_facts
from app.standards import audit

RULES = DisclosureRules()
Q = "2023-24 Q2"


def received(total: int | None) -> Released:
    rows = {"idva": 30, "isva": None, "not_sure": None}
    return Released("intake", "", Q, "received", {"kind": "counts", "rows": rows, "total": total})


def first_contact(percentage: int) -> Released:
    rows = {"first_contact_within_target": percentage}
    return Released("intake", "", Q, "service_levels", {"kind": "measures", "rows": rows})


def test_the_least_useful_figures_come_first_and_totals_last() -> None:
    facts = history_facts([received(35), first_contact(73)])
    order = audit.usefulness(facts)
    assert order[0].endswith("first_contact_within_target")
    assert order[-1].endswith("|Total")


def test_withholding_by_name_sets_exactly_those_figures_to_none() -> None:
    made = audit.withhold([received(35)], ["intake||2023-24 Q2|received|Total"])
    assert made[0].content["total"] is None
    assert made[0].content["rows"]["idva"] == 30


def test_a_percentage_that_pins_intakes_received_count_is_withheld_before_release(
    on: Callable[..., object],
) -> None:
    # Nothing released before: the candidate quarter alone, as the issue found it.
    made, result = on(audit.audited, [received(35), first_contact(73)], RULES)
    assert result.withheld == ("intake||2023-24 Q2|service_levels|first_contact_within_target",)
    service_levels = next(r for r in made if r.table == "service_levels")
    assert service_levels.content["rows"]["first_contact_within_target"] is None
    assert audit.log_text(result).startswith("audit passed: 4 cells checked")


def test_the_facts_read_a_percentage_as_bounds_on_the_hidden_counts() -> None:
    facts: Facts = history_facts([received(35), first_contact(73)])
    (percentage,) = facts.percentages
    assert isinstance(percentage, Percentage) and percentage.value == 73
    assert percentage.denominator == "intake||2023-24 Q2|hidden|measured"
