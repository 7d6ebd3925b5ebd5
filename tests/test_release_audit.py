"""The release audit (app.release_audit, issue 13): the intruder's exact integer programme
over everything released, and the withholding that makes a release pass it."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.disclosure import TOTAL, DisclosureRules, Period, percentage_or_none, protect_one_way
from app.release_audit import (
    Cell,
    Derived,
    Facts,
    Median,
    Percentage,
    Relation,
    audit,
    coarsened_percentage,
    percentage_from_rounded,
    table_facts,
    whole_median,
    withhold_until_safe,
)
from app.release_facts import Released, difference, history_facts, name, parse
from app.standards.audit import withhold

RULES = DisclosureRules()
Q = "2023-24 Q2"


def received_with_first_contact(percentage: int, step: int = 1) -> Facts:
    """The issue's quarter: received released as 35 (true 37: idva 30, isva 5, not sure 2),
    and first contact within target over the referrals not withdrawn."""
    received = table_facts(f"{Q}/received", {"idva": 30, "isva": None, "not_sure": None}, 35)
    hidden = Facts(
        (
            Cell("measured", hidden=True),
            Cell("withdrawn", hidden=True),
            Cell("on_time", hidden=True),
        ),
        (Relation((("measured", 1), ("withdrawn", 1), (f"{Q}/received/Total", -1)), 0, 0),),
        (Percentage("first contact %", "on_time", "measured", percentage, step=step),),
    )
    return received + hidden


def test_a_whole_number_percentage_that_pins_its_denominator_fails_the_audit() -> None:
    # 73% with at least 10 not on time needs 37 or more; rounding to 35 allows at most 37.
    result = audit(received_with_first_contact(73), rules=RULES)
    assert not result.passed
    assert [f.name for f in result.failures] == [f"{Q}/received/Total"]
    assert result.failures[0].interval == (37, 37)
    assert "pinned to 37" in str(result.failures[0])


def test_without_the_percentage_the_same_table_passes() -> None:
    facts = received_with_first_contact(73).withholding(["first contact %"])
    result = audit(facts, rules=RULES, exact=True)
    assert result.passed
    assert result.intervals[f"{Q}/received/Total"] == (33, 37)


def test_coarsening_to_5_points_alone_still_pins_when_the_complement_is_at_the_threshold() -> None:
    # 27 of 37 on time is 73%, coarsened to 75: the complement of 10 still forces 37.
    assert coarsened_percentage(27, 37, RULES) == 75
    result = audit(received_with_first_contact(75, step=5), rules=RULES)
    assert [f.interval for f in result.failures] == [(37, 37)]


def test_withhold_until_safe_withholds_the_percentage_before_the_counts() -> None:
    candidate = received_with_first_contact(73)
    order = ["first contact %", f"{Q}/received/isva", f"{Q}/received/Total"]
    made = withhold_until_safe(Facts(), candidate, order, RULES)
    assert made.withheld == ("first contact %",)
    assert made.result.passed
    assert audit(made.candidate, rules=RULES, exact=True).passed


def test_when_the_percentage_is_most_useful_the_counts_go_instead() -> None:
    candidate = received_with_first_contact(73)
    order = [f"{Q}/received/idva", f"{Q}/received/Total", "first contact %"]
    made = withhold_until_safe(Facts(), candidate, order, RULES)
    assert "first contact %" not in made.withheld
    assert audit(made.candidate, rules=RULES, exact=True).passed


def provider_return(online: int | None, phone: int | None, email: int | None, total: int) -> Facts:
    table = table_facts(
        f"{Q}/other_routes", {"online": online, "phone": phone, "email": email}, total
    )
    # The provider's online cases are intake's referrals less withdrawals.
    link = Relation(((f"{Q}/other_routes/online", 1), ("measured", -1)), 0, 0, "online")
    return table + Facts(relations=(link,))


def none_withdrawn(facts: Facts, total_withheld: bool = False) -> Facts:
    """The quarter as the intruder reads it when the closures show no withdrawals."""

    def known(c: Cell) -> Cell:
        if c.name == "withdrawn":
            return Cell(c.name, hidden=True, upper=0)
        return Cell(c.name, None) if total_withheld and c.name == f"{Q}/received/Total" else c

    return Facts(tuple(map(known, facts.cells)), facts.relations, facts.percentages)


def test_a_provider_return_read_against_intake_pins_its_withheld_cells() -> None:
    # Intake's released tables pin received (and so online) at 37 with nobody withdrawn;
    # the provider withheld online, phone and email under a total of 40 (true 39).
    intake = none_withdrawn(received_with_first_contact(73))
    result = audit(intake, provider_return(None, None, None, 40), RULES)
    failing = {f.name: f for f in result.failures}
    assert failing[f"{Q}/other_routes/online"].interval == (37, 37)
    assert f"{Q}/other_routes/phone" in failing  # 0-5: fewer values than the threshold hides


def test_a_provider_return_that_pins_an_intake_withheld_total_is_reduced() -> None:
    # Intake withheld its total; the percentage says at least 37, the provider's online 35
    # (33-37) says at most 37: together they pin intake's withheld total.
    intake = none_withdrawn(received_with_first_contact(73), total_withheld=True)
    assert audit(intake, rules=RULES).passed  # intake alone: at least 37, nothing more
    candidate = provider_return(35, None, None, 45)
    result = audit(intake, candidate, RULES)
    pinned = [f for f in result.failures if f.name == f"{Q}/received/Total"]
    assert pinned and pinned[0].interval == (37, 37)
    assert "pinned to 37" in pinned[0].reason
    made = withhold_until_safe(intake, candidate, [f"{Q}/other_routes/online"], RULES)
    assert f"{Q}/other_routes/online" in made.withheld
    assert audit(intake, made.candidate, RULES, exact=True).passed


def caseload(service: str, open_at_end: int) -> tuple[Facts, Facts]:
    """One service's quarter: open at the start released as 100 (98-102), received 50,
    closed 40, open at the end as given, tied by open at the end = open at the start +
    received - closed. Returns (what was released before, the quarter's candidate)."""
    start = Facts((Cell(f"{service}/open at start", 100),))
    quarter = Facts(
        (
            Cell(f"{service}/received", 50),
            Cell(f"{service}/closed", 40),
            Cell(f"{service}/open at end", open_at_end),
        ),
        (
            Relation(
                (
                    (f"{service}/open at end", 1),
                    (f"{service}/open at start", -1),
                    (f"{service}/received", -1),
                    (f"{service}/closed", 1),
                ),
                0,
                0,
                "caseload",
            ),
        ),
    )
    return start, quarter


def test_each_failing_identity_has_a_figure_withheld_in_the_same_step() -> None:
    # Open at the end released as 115 (113-117), but at most 102 + 52 - 38 = 116: each of
    # the four figures is pinned to 4 values. Two services, each failing on its own.
    idva_before, idva = caseload("idva", 115)
    isva_before, isva = caseload("isva", 115)
    # A table far less useful than the caseload, in the same component but never binding.
    roles = table_facts("roles", {"officer": 20, "staff": 25}, 45)
    slack = Relation((("idva/received", 1), ("roles/Total", -1)), 0, None, "roles <= received")
    candidate = idva + isva + roles + Facts(relations=(slack,))
    before = idva_before + isva_before
    assert {f.name for f in audit(before, candidate, RULES).failures} >= {
        "idva/open at end",
        "isva/open at end",
    }
    order = [*roles.items(), "idva/closed", "isva/closed", "idva/received", "isva/received"]
    made = withhold_until_safe(before, candidate, order, RULES)
    # One figure per failing identity, both in one step; the roles table, though ranked
    # least useful, holds no failing bound and stays released.
    assert made.withheld == ("idva/closed", "isva/closed")
    assert made.steps == 2  # the audit that failed, then the one that passed
    assert audit(before, made.candidate, RULES, exact=True).passed


def test_it_withholds_only_figures_that_hold_a_failing_bound() -> None:
    before, quarter = caseload("idva", 115)
    roles = table_facts("roles", {"officer": 20, "staff": 25}, 45)
    slack = Relation((("idva/received", 1), ("roles/Total", -1)), 0, None, "roles <= received")
    candidate = quarter + roles + Facts(relations=(slack,))
    made = withhold_until_safe(before, candidate, [*roles.items()], RULES)
    tied = {n for n, _ in quarter.relations[0].terms}
    assert made.withheld and set(made.withheld) <= tied
    assert audit(before, made.candidate, RULES, exact=True).passed


def test_a_release_that_pins_nothing_withholds_nothing() -> None:
    before, quarter = caseload("idva", 110)  # 108-112, all possible
    made = withhold_until_safe(before, quarter, [], RULES)
    assert made.withheld == () and made.steps == 1


def test_a_percentage_from_rounded_counts_adds_nothing_until_one_is_withheld() -> None:
    table = table_facts("t", {"a": 20, "b": 25}, 45)
    share = Percentage("a %", "t/a", "t/Total", percentage_from_rounded(20, 45), from_rounded=True)
    assert share.value == 44
    facts = table + Facts(percentages=(share,))
    assert audit(facts, rules=RULES).passed
    withheld = facts.withholding(["t/a", "t/b"])
    assert [f.name for f in audit(withheld, rules=RULES).failures] == ["a %"]
    made = withhold_until_safe(Facts(), facts.withholding(["t/a"]), ["t/b"], RULES)
    assert made.withheld[0] == "a %"  # the figure that would reveal it goes first
    assert made.result.passed


def test_a_median_ending_in_a_half_says_the_count_is_even() -> None:
    count = Facts((Cell("n", 15),))
    half = audit(count + Facts(medians=(Median("median", "n", 2.5),)), rules=RULES, exact=True)
    assert half.intervals["n"] == (14, 16)  # of 13 to 17, only 14 and 16 are even
    assert not half.passed
    assert whole_median(2.5) == 3
    whole = audit(count + Facts(medians=(Median("median", "n", 3),)), rules=RULES, exact=True)
    assert whole.passed


def test_a_figure_derived_from_a_withheld_total_goes_with_it() -> None:
    facts = table_facts("q", {"a": 20, "b": None, "c": None}, 30)
    demand = Derived("to date", ("q/Total",))
    result = audit(facts.withholding(["q/Total"]) + Facts(derived=(demand,)), rules=RULES)
    assert [f.name for f in result.failures] == ["to date"]


def test_the_audit_reports_its_figures() -> None:
    result = audit(table_facts("q", {"a": 20, "b": None, "c": None}, 30), rules=RULES)
    assert result.cells_checked == 4
    assert result.narrowest_withheld is not None and result.narrowest_withheld >= 10
    assert "4 cells checked" in result.summary()


# --- A property: random multi-period histories, released with the audit ----------------------


def counts(rows: dict[str, int]) -> dict[str, Any]:
    table = protect_one_way(rows, RULES)
    return {"kind": "counts", "rows": dict(table.rows), "total": table.total}


quarter_st = st.fixed_dictionaries(
    {
        "received": st.lists(st.integers(0, 40), min_size=3, max_size=3),
        "closed_share": st.floats(0, 1),
        "withdrawn": st.integers(0, 2),
        "on_time_share": st.floats(0, 1),
        "phone": st.integers(0, 15),
        "email": st.integers(0, 15),
        "roles": st.lists(st.floats(0.01, 1), min_size=3, max_size=3),
    }
)


def history(quarters: list[dict[str, Any]]) -> list[list[Released]]:
    """Each quarter's releases, from true counts, protected table by table as before."""
    made, open_ = [], 0
    for index, q in enumerate(quarters):
        label = Period(2023 + index // 4, index % 4 + 1).label
        received = dict(zip(("idva", "isva", "not_sure"), q["received"], strict=True))
        total = sum(received.values())
        closed = round((open_ + total) * q["closed_share"])
        completed = closed // 2
        closures = {"support_completed": completed, "declined": closed - completed}
        open_ += total - closed
        measured = max(total - q["withdrawn"], 0)
        on_time = round(measured * q["on_time_share"])
        online = measured
        provider_total = online + q["phone"] + q["email"]
        weights = q["roles"]
        officer = round(provider_total * weights[0] / sum(weights))
        staff = min(round(provider_total * weights[1] / sum(weights)), provider_total - officer)
        roles = {"officer": officer, "staff": staff, "other": provider_total - officer - staff}
        routes = {"online": online, "phone": q["phone"], "email": q["email"]}
        # As releases.py does: from the rounded counts, only when both groups are large.
        allowed = measured and percentage_or_none(on_time, measured, RULES) is not None
        top, bottom = (rounded(on_time), rounded(measured)) if allowed else (None, None)
        percentage = percentage_from_rounded(top, bottom)
        made.append(
            [
                Released("intake", "", label, "received", counts(received)),
                Released("intake", "", label, "closures", counts(closures)),
                Released("intake", "", label, "caseload", counts({"open": open_})),
                Released(
                    "intake",
                    "",
                    label,
                    "service_levels",
                    {
                        "kind": "measures",
                        "rows": {"first_contact_within_target": percentage},
                        "basis": {"contacted_in_time": top, "measured": bottom},
                    },
                ),
                Released("provider", "p", label, "other_routes", counts(routes)),
                Released("provider", "p", label, "role_group", counts(roles)),
            ]
        )
    return made


def least_useful_first(candidate: Facts) -> list[str]:
    def rank(item: str) -> tuple[int, str]:
        source, _, _, table, code = parse(item)
        if table == "service_levels":
            return (0, item)
        return (3 if code == TOTAL else 1 if source == "provider" else 2, item)

    return sorted(candidate.items(), key=rank)


def rounded(n: int) -> int:
    return (2 * n + 5) // 10 * 5


SAME = ("other_routes", "role_group")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(quarter_st, min_size=1, max_size=4))
def test_after_withholding_the_solver_finds_nothing_narrowed_anywhere(quarters: list) -> None:
    released: list[Released] = []
    for made in history(quarters):
        before = history_facts(released, same_population=SAME)
        full = history_facts([*released, *made], same_population=SAME)
        # Every release passes on its own terms before the next one is made.
        candidate = difference(full, before)
        result = withhold_until_safe(before, candidate, least_useful_first(candidate), RULES)
        assert not result.inherited  # every earlier release passed, so nothing is inherited
        released += withhold(made, result.withheld)
    final = audit(history_facts(released, same_population=SAME), rules=RULES, exact=True)
    assert final.passed, [str(f) for f in final.failures]
    assert name("intake", "", Period(2023, 1).label, "received", TOTAL) in final.intervals
