"""The release audit over a return's own tables, in the manager's preview (issue 13).

Every table counts the same 51 cases. Each is safe on its own, but the routes table's rows
(19, 19 and 13, released as 20, 20 and 15) mean at least 49 cases, and the totals, released
as 50, mean at most 52: four values, finer than rounding to 5 allows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask

from app.console.return_audit import audit_return
from app.disclosure import DisclosureRules, Period, protect_one_way
from app.release_audit import audit
from app.release_facts import Released, history_facts
from app.return_contract import NOT_ANSWERED, PROVIDER_TABLES, SAME_POPULATION
from tests.console.case_factory import Today, make_case
from tests.console.conftest import ProviderKeys, Staff
from tests.console.test_statistical_return import fixed_today, signed_in_manager

Q1 = Period(2024, 1)
RULES = DisclosureRules(10, 5)
ROUTES = {"online": 19, "phone": 19, "email": 13}


def protected_tables() -> dict:
    tables = {}
    for name, spec in PROVIDER_TABLES.items():
        counts = dict.fromkeys(spec.categories, 0)
        if name == "other_routes":
            counts |= ROUTES
        elif name != "outcomes":
            counts[NOT_ANSWERED] = 51
        tables[name] = protect_one_way(counts, RULES)
    return tables


def audit_of(tables: dict) -> object:
    made = [
        Released(
            "provider", "", Q1.label, n, {"kind": "counts", "rows": dict(t.rows), "total": t.total}
        )
        for n, t in tables.items()
    ]
    return audit(
        history_facts(made, same_population=SAME_POPULATION, rules=RULES), rules=RULES, exact=True
    )


def test_tables_safe_one_by_one_can_pin_their_shared_total_when_read_together() -> None:
    result = audit_of(protected_tables())
    assert not result.passed
    totals = [f for f in result.failures if f.name.endswith("|Total")]
    assert len(totals) == len(SAME_POPULATION)
    assert all(f.interval == (49, 52) for f in totals)


def test_the_return_is_reduced_until_its_tables_together_pass_and_the_manager_sees_why() -> None:
    audited = audit_return(Q1, protected_tables(), RULES)
    assert audited.withheld, "something more must be withheld"
    assert audit_of(audited.tables).passed
    # Categories go before totals: every total the tables share survives.
    assert all(t.total == 50 for n, t in audited.tables.items() if n in SAME_POPULATION)
    assert all("Total" not in figure for figure in audited.withheld)
    assert any("pinned to 49-52" in finding for finding in audited.findings)
    assert audited.withheld == (
        "How the referral reached the service: Email",
        "How the referral reached the service: Online",
    )
    assert audited.tables["other_routes"].rows == {"online": None, "phone": 20, "email": None}


def test_a_return_that_passes_on_its_own_is_sent_as_each_table_protected_it() -> None:
    tables = protected_tables()
    tables["other_routes"] = protect_one_way(
        dict.fromkeys(PROVIDER_TABLES["other_routes"].categories, 0) | {"online": 51}, RULES
    )
    audited = audit_return(Q1, tables, RULES)
    assert audited.withheld == () and audited.findings == ()
    assert audited.tables == tables


def test_the_preview_shows_what_would_be_withheld_and_why_and_sends_exactly_that(
    console_app: Flask,
    provider_keys: ProviderKeys,
    make_advisor: Callable[..., Staff],
    monkeypatch,
) -> None:
    today: Today = fixed_today(monkeypatch)
    assert today
    sources = [s for s, n in ROUTES.items() for _ in range(n)]
    for i, source in enumerate(sources):
        make_case(
            console_app,
            provider_keys.recipient.public_key,
            received_on=Q1.start + timedelta(days=i),
            fields={},
            source=source,
        )
    client = signed_in_manager(console_app, make_advisor)
    page = client.get("/returns/2024-25-Q1")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="return-audit"' in text
    assert "the tables read together would give too much away" in text
    assert "pinned to 49-52" in text
    # The data that will be sent holds the reduced tables: the routes are withheld.
    sent = text.split('id="return-json">', 1)[1].split("</pre>", 1)[0]
    assert "&#34;online&#34;: null" in sent or '"online": null' in sent
