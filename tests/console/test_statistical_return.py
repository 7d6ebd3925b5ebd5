"""The quarterly statistical return: counted from sealed cases, protected before it can leave.

Forty cases with known answers are received in 2024-25 Q1 (April to June 2024), plus cases
either side of the quarter and a withdrawn one that must not count. Every expectation below
was counted by hand from the lists in `QUARTER`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.console import statistical_return as returns
from app.disclosure import DisclosureRules, Period, protect_one_way
from app.extensions import console_db
from app.models.console import CASE_SOURCES, Advisor, Case
from app.workflow import CLOSURE_REASONS
from tests.console.case_factory import Today, audit_entries, make_case
from tests.console.conftest import ProviderKeys, Staff, sign_in_as

Q1 = Period(2024, 1)
RULES = DisclosureRules(10, 5)
N = 40


def spread(*groups: tuple[str, int]) -> list[str]:
    values = [value for value, count in groups for _ in range(count)]
    assert len(values) == N
    return values


# Per sealed field, the answers of the forty cases, case i taking the i-th value.
QUARTER: dict[str, list[str]] = {
    "police_connected": spread(("yes", 22), ("no", 11), ("not_sure", 3), ("prefer_not", 2),
                               ("", 2)),
    "role_group": spread(("officer", 15), ("staff", 14), ("volunteer", 4), ("contractor", 1),
                         ("prefer_not", 3), ("", 3)),
    "age_group": spread(("25-34", 12), ("35-44", 12), ("45-54", 6), ("16-24", 2),
                        ("prefer_not", 2), ("", 6)),
    "sex": spread(("female", 27), ("male", 10), ("prefer_not", 1), ("", 2)),
    "ethnicity": spread(("white_british", 25), ("black_caribbean", 5), ("asian_indian", 4),
                        ("prefer_not", 3), ("", 3)),
    "religion": spread(("", N)),
}
SOURCES = spread(("online", 30), ("phone", 7), ("email", 3))
# (index of the case, day closed, reason): closed in the quarter unless said otherwise.
CLOSURES = (
    [(i, date(2024, 6, 20), "support_completed") for i in range(12)]
    + [(i, date(2024, 5, 2), "no_contact_possible") for i in range(12, 17)]
    + [(i, date(2024, 6, 30), "declined") for i in range(17, 20)]
    + [(20, date(2024, 7, 1), "declined")]  # closed after the quarter: not an outcome of it
)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Today:
    return fixed_today(monkeypatch)


def make_quarter_cases(app: Flask, keys: ProviderKeys) -> list[str]:
    """The forty cases of the quarter, and the ones around it that must not be counted."""
    key = keys.recipient.public_key
    closed = {i: (on, reason) for i, on, reason in CLOSURES}
    ids = []
    for i in range(N):
        fields = {field: values[i] for field, values in QUARTER.items()}
        on, reason = closed.get(i, (None, None))
        ids.append(make_case(
            app, key, received_on=Q1.start + timedelta(days=i), fields=fields,
            source=SOURCES[i], closed_on=on, closure_reason=reason,
            status="closed" if on else "open",
        ))
    # Received before the quarter but closed in it: an outcome of the quarter, nothing else.
    make_case(app, key, received_on=date(2024, 3, 31), closed_on=date(2024, 4, 10),
              closure_reason="referred_on", status="closed")
    # Received after the quarter, and a referral its referrer withdrew: not counted at all.
    make_case(app, key, received_on=date(2024, 7, 1))
    make_case(app, key, received_on=date(2024, 5, 5), withdrawn_on=date(2024, 5, 6),
              closed_on=date(2024, 5, 6), closure_reason="withdrawn")
    return ids


def fixed_today(monkeypatch: pytest.MonkeyPatch) -> Today:
    today = Today(monkeypatch)
    today.set(date(2024, 7, 15))
    return today


def signed_in_manager(app: Flask, make_advisor: Callable[..., Staff]) -> FlaskClient:
    return sign_in_as(app.test_client(), make_advisor("manager@provider.test", role="manager"))


@pytest.fixture
def quarter_cases(console_app: Flask, provider_keys: ProviderKeys, today: Today) -> list[str]:
    return make_quarter_cases(console_app, provider_keys)


@pytest.fixture
def manager(make_advisor: Callable[..., Staff]) -> Staff:
    return make_advisor("manager@provider.test", role="manager")


@pytest.fixture
def manager_client(console_app: Flask, manager: Staff) -> FlaskClient:
    return sign_in_as(console_app.test_client(), manager)


def hand_counts() -> dict[str, Counter[str]]:
    by_table = {"police_connected": "police_connected", "role_group": "role_group",
                "equality.age_group": "age_group", "equality.sex": "sex",
                "equality.ethnicity": "ethnicity", "equality.religion": "religion"}
    counts = {table: Counter(v or "not_answered" for v in QUARTER[field])
              for table, field in by_table.items()}
    for table in ("equality.gender_identity", "equality.sexual_orientation",
                  "equality.disability", "equality.marital_status", "equality.pregnancy"):
        counts[table] = Counter({"not_answered": N})
    counts["other_routes"] = Counter(SOURCES)
    counts["outcomes"] = Counter(support_completed=12, no_contact_possible=5, declined=3,
                                 referred_on=1)
    return counts


def prepared(app: Flask, manager: Staff, keys: ProviderKeys) -> returns.StatisticalReturn:
    with app.app_context():
        advisor = console_db.session.get(Advisor, manager.id)
        recipient = {keys.recipient.public_key.key_id: keys.recipient}
        return returns.prepare_return(console_db.session, advisor, Q1, date(2024, 7, 15),
                                      recipient, RULES)


def test_the_true_counts_match_the_hand_counted_answers(
    console_app, quarter_cases, manager, provider_keys
):
    with console_app.app_context():
        advisor = console_db.session.get(Advisor, manager.id)
        keys = {provider_keys.recipient.public_key.key_id: provider_keys.recipient}
        counts, received = returns.count_quarter(console_db.session, advisor, Q1, keys)
    assert received == N
    for table, expected in hand_counts().items():
        assert +counts[table] == expected, table
    assert set(counts) == set(returns.CATEGORIES)


def test_the_return_holds_the_protected_hand_counted_tables(
    console_app, quarter_cases, manager, provider_keys
):
    result = prepared(console_app, manager, provider_keys)
    assert list(result.tables) == list(returns.CATEGORIES)
    for table, counts in hand_counts().items():
        full = {code: counts[code] for code in returns.CATEGORIES[table]}
        assert result.tables[table] == protect_one_way(full, RULES), table
    # A few worked by hand: under 10 withheld, the rest rounded to 5, totals from true totals.
    police = result.tables["police_connected"]
    assert police.rows == {"yes": 20, "no": 10, "not_sure": None, "prefer_not": None,
                           "not_answered": None}
    assert police.total == 40
    assert result.tables["other_routes"].rows == {"online": 30, "phone": None, "email": None}
    outcomes = result.tables["outcomes"]
    assert outcomes.rows["support_completed"] == 10
    assert outcomes.total == 20  # 21 closed in the quarter, rounded
    # Nobody answered: releasing 40 "not answered" would pin every other answer to 0-4.
    religion = result.tables["equality.religion"]
    assert set(religion.rows.values()) == {None} and religion.total == 40


def test_every_released_count_is_a_multiple_of_the_base_and_at_least_the_threshold(
    console_app, quarter_cases, manager, provider_keys
):
    result = prepared(console_app, manager, provider_keys)
    counts = hand_counts()
    for name, table in result.tables.items():
        for code, value in [*table.rows.items(), ("total", table.total)]:
            if value is not None:
                assert value % 5 == 0 and value >= 10, (name, code, value)
        for code, value in table.rows.items():
            if counts[name][code] < 10:
                assert value is None, f"{name} {code}: a count under 10 would leave"


def test_every_category_is_in_its_table_even_when_nobody_chose_it(
    console_app, quarter_cases, manager, provider_keys
):
    # A table that listed only the answers given would say which answers nobody gave.
    result = prepared(console_app, manager, provider_keys)
    ethnicity = result.tables["equality.ethnicity"].rows
    assert len(ethnicity) == 21
    assert list(ethnicity)[-2:] == ["prefer_not", "not_answered"]
    assert ethnicity["white_roma"] is None


def test_a_quarter_that_has_not_finished_is_refused(
    console_app, quarter_cases, manager, provider_keys
):
    with console_app.app_context():
        advisor = console_db.session.get(Advisor, manager.id)
        keys = {provider_keys.recipient.public_key.key_id: provider_keys.recipient}
        for period, today in ((Period(2024, 2), date(2024, 9, 30)), (Q1, date(2024, 6, 30))):
            with pytest.raises(returns.ReturnNotReady, match="not finished"):
                returns.prepare_return(console_db.session, advisor, period, today, keys, RULES)
        with pytest.raises(returns.ReturnNotReady, match="quarter"):
            returns.prepare_return(console_db.session, advisor, Period(2023), today, keys, RULES)


def test_cases_the_manager_cannot_open_stop_the_return_rather_than_go_uncounted(
    console_app, quarter_cases, manager_client
):
    from crypto.keys import PrivateKey

    make_case(console_app, PrivateKey.generate().public_key, received_on=date(2024, 6, 1))
    page = manager_client.get("/returns/2024-25-Q1")
    assert page.status_code == 409
    assert "1 case(s) received in the quarter do not open" in page.get_data(as_text=True)


def test_an_answer_the_return_does_not_know_stops_it(
    console_app, provider_keys, manager_client, today
):
    make_case(console_app, provider_keys.recipient.public_key, received_on=date(2024, 6, 1),
              fields={"sex": "unknown-value"})
    page = manager_client.get("/returns/2024-25-Q1")
    assert page.status_code == 409
    assert "that the return does not know" in page.get_data(as_text=True)


def test_the_categories_are_the_forms_options_the_case_sources_and_closure_reasons(console_app):
    # The catalogue intake checks returns against; the console's own values must fit it.
    from app.questionnaire.forms import ConnectionForm, EqualityForm, RoleForm

    with console_app.test_request_context():
        forms = [ConnectionForm(meta={"csrf": False}), RoleForm(meta={"csrf": False}),
                 EqualityForm(meta={"csrf": False})]
        offered = {name: [c.value for c in form[name].choices]
                   for form in forms for name in form.data if name != "submit"}
    for table, field in returns.ANSWER_FIELDS.items():
        assert list(returns.CATEGORIES[table]) == [*offered[field], "not_answered"], table
    assert len(returns.ANSWER_FIELDS) == 11
    assert list(returns.CATEGORIES["other_routes"]) == list(CASE_SOURCES)
    assert list(returns.CATEGORIES["outcomes"]) == list(CLOSURE_REASONS)


def test_preparing_a_return_is_audited_with_the_period_and_no_case(
    console_app, quarter_cases, manager, provider_keys
):
    prepared(console_app, manager, provider_keys)
    (entry,) = audit_entries(console_app, "prepare_return")
    assert (entry.actor, entry.subject) == ("manager@provider.test", "period:2024-25 Q1")
    assert all(case_id not in entry.detail for case_id in quarter_cases)


def test_period_urls_name_quarters_only():
    assert returns.period_from_url("2025-26-Q1") == Period(2025, 1)
    assert returns.url_label(Period(2025, 4)) == "2025-26-Q4"
    for bad in ("2025-26", "2025-26 Q1", "2025-27-Q1", "2025-26-Q5", "x", "2025-26-q1"):
        assert returns.period_from_url(bad) is None, bad


def test_the_payload_holds_only_the_period_the_rules_and_the_tables(
    console_app, quarter_cases, manager, provider_keys
):
    payload = prepared(console_app, manager, provider_keys).payload()
    assert set(payload) == {"period", "rules", "tables"}
    assert payload["period"] == "2024-25 Q1"
    assert payload["rules"] == {"threshold": 10, "rounding_base": 5}
    assert payload["tables"]["other_routes"] == {
        "rows": {"online": 30, "phone": None, "email": None}, "total": 40
    }
    assert json.loads(json.dumps(payload)) == payload


def test_the_quarters_to_report_are_the_finished_ones_since_the_first_case(
    console_app, quarter_cases
):
    with console_app.app_context():
        quarters = returns.quarters_to_report(console_db.session, date(2024, 10, 1))
        assert quarters == [Period(2024, 2), Period(2024, 1), Period(2023, 4)]
        assert returns.quarters_to_report(console_db.session, date(2024, 4, 1)) == [
            Period(2023, 4)
        ]
        console_db.session.execute(console_db.delete(Case))
        console_db.session.commit()
        assert returns.quarters_to_report(console_db.session, date(2024, 10, 1)) == []

