"""app.standards.audit: the release audit over intake's stored releases, run at every
release of intake's own tables and of each accepted provider return (issue 13)."""

from __future__ import annotations

from collections.abc import Callable

from app.disclosure import DisclosureRules
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
    # Nothing released before: the candidate quarter alone, as the issue found it (a
    # whole-number percentage of exact counts, as released before the audit).
    made, result = on(audit.audited, [received(35), first_contact(73)], RULES)
    assert result.withheld == ("intake||2023-24 Q2|service_levels|first_contact_within_target",)
    service_levels = next(r for r in made if r.table == "service_levels")
    assert service_levels.content["rows"]["first_contact_within_target"] is None
    entry = audit.log_entry(result)
    assert entry["cells_checked"] == 4 and entry["more_withheld"] == 1
    assert audit.log_text(entry).startswith("Audit passed: 4 figures checked")


def test_the_manager_is_told_which_figures_of_a_return_intake_withheld() -> None:
    # What accept_provider_return stores when the audit withheld more of a return (the
    # reduction itself: tests/test_release_audit.py, a return pinning intake's total).
    entry = {"cells_checked": 40, "more_withheld": 1, "withheld": ["other_routes online"]}
    message = audit.reduction(entry)
    assert "would let a small count be worked out" in message
    assert message.endswith("show as [c]: other_routes online.")
    assert audit.reduction({**entry, "withheld": []}) == ""
