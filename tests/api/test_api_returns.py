"""PUT /returns/<period>: intake takes a provider's protected tables, checks them, releases once.

Every response is checked against docs/openapi.yaml by the Console helper. A good return is
made here as the console makes it, with app.disclosure.protect_one_way; the bad ones change
one figure or name, and each must be refused with a message that says what is wrong.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.disclosure import DisclosureRules, protect_one_way
from app.extensions import intake_db
from app.models.standards import Release
from app.return_contract import PROVIDER_TABLES
from tests.api.conftest import Console

URL = "/returns/2024-25-Q1"
RULES = DisclosureRules(10, 5)


def good_return(period: str = "2024-25 Q1") -> dict[str, Any]:
    """Every table of the catalogue, 42 people in each (30 in the first category, 12 in the
    second, nobody in the rest), protected exactly as the console protects them."""
    tables = {}
    for name, spec in PROVIDER_TABLES.items():
        codes = list(spec.categories)
        counts = dict.fromkeys(codes, 0) | {codes[0]: 30, codes[1]: 12}
        table = protect_one_way(counts, RULES)
        tables[name] = {"rows": dict(table.rows), "total": table.total}
    return {"period": period, "rules": {"threshold": 10, "rounding_base": 5}, "tables": tables}


def released(app: Flask) -> int:
    with app.app_context():
        return intake_db.session.scalar(select(func.count()).select_from(Release)) or 0


def refusal(response) -> str:
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"] == "return_refused"
    return response.get_json()["message"]


def invalid(response) -> str:
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"] == "invalid"
    return response.get_json()["message"]


def test_a_good_return_is_released_table_by_table(app: Flask, console: Console) -> None:
    response = console.put(URL, json=good_return())
    assert response.status_code == 201
    assert response.get_json() == {
        "period": "2024-25 Q1",
        "tables": list(PROVIDER_TABLES),
        "released_on": date.today().isoformat(),
    }
    assert released(app) == len(PROVIDER_TABLES)
    with app.app_context():
        police = intake_db.session.scalars(
            select(Release).where(Release.table_name == "police_connected")
        ).one()
        assert (police.source, police.period) == ("provider", "2024-25 Q1")
        # 12 rounds to 10, but 30 + 10 of 40 would pin the rest to 0-2: withheld as well.
        assert '"rows":{"yes":30,"no":null,' in police.content


def test_a_second_return_for_the_same_quarter_is_refused(app: Flask, console: Console) -> None:
    assert console.put(URL, json=good_return()).status_code == 201
    message = refusal(console.put(URL, json=good_return()))
    assert f"The return for 2024-25 Q1 was released on {date.today():%-d %B %Y}" in message
    assert released(app) == len(PROVIDER_TABLES)


def test_each_provider_releases_its_own_return_for_a_quarter(
    app: Flask, console: Console, other_console: Console
) -> None:
    assert console.put(URL, json=good_return()).status_code == 201
    assert other_console.put(URL, json=good_return()).status_code == 201
    assert released(app) == 2 * len(PROVIDER_TABLES)


def with_cell(table: str, code: str, value: object) -> dict[str, Any]:
    body = good_return()
    body["tables"][table]["rows"][code] = value
    return body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (with_cell("equality.sex", "male", 3),
         "equality.sex: male: 3 is not a count rounded to a multiple of 5"),
        (with_cell("role_group", "staff", 5), "role_group: staff: 5 is under the threshold of 10"),
        (with_cell("police_connected", "no", 12),
         "police_connected: no: 12 is not a count rounded to a multiple of 5"),
        (with_cell("equality.ethnicity", "martian", None),
         "equality.ethnicity: unknown category 'martian'"),
    ],
    ids=["a cell of 3", "a cell of 5", "an unrounded 12", "an unknown category"],
)
def test_a_return_that_breaks_the_rules_is_refused_whole_and_says_why(
    app: Flask, console: Console, body: dict[str, Any], expected: str
) -> None:
    assert expected in refusal(console.put(URL, json=body))
    assert released(app) == 0


def test_a_two_way_table_is_refused_by_name(app: Flask, console: Console) -> None:
    body = good_return()
    body["tables"]["police_connected x equality.ethnicity"] = {
        "rows": {"yes|white_british": 20}, "total": 20
    }
    message = invalid(console.put(URL, json=body))
    assert message.startswith("Unknown table(s): police_connected x equality.ethnicity.")
    assert "only the one-way tables" in message
    assert released(app) == 0


def test_a_missing_table_or_category_is_refused(console: Console) -> None:
    body = good_return()
    del body["tables"]["outcomes"]
    del body["tables"]["role_group"]["rows"]["volunteer"]
    message = refusal(console.put(URL, json=body))
    assert "outcomes: missing from the return" in message
    assert "role_group: category 'volunteer' is missing" in message


def test_suppressed_cells_the_total_gives_away_are_refused(console: Console) -> None:
    body = good_return()
    # Released 30 + 10 of a total of 40: the two withheld cells are then known to be 0 to 4.
    body["tables"]["equality.sex"] = {
        "rows": {"female": 30, "male": 10, "prefer_not": None, "not_answered": None}, "total": 40
    }
    message = refusal(console.put(URL, json=body))
    assert "equality.sex: prefer_not: can be narrowed to 0-4" in message
    assert "equality.sex: not_answered: can be narrowed to 0-4" in message


def test_rules_other_than_intakes_are_refused(console: Console) -> None:
    body = good_return()
    body["rules"] = {"threshold": 5, "rounding_base": 5}
    message = refusal(console.put(URL, json=body))
    assert message == ("The return was protected with threshold 5 and rounding base 5; intake "
                       "releases with threshold 10 and rounding base 5")


def test_a_quarter_that_has_not_finished_is_refused(console: Console) -> None:
    today = date.today()
    fy = today.year if today.month >= 4 else today.year - 1
    label = f"{fy}-{(fy + 1) % 100:02d}"
    quarter = (today.month - 4) % 12 // 3 + 1
    response = console.put(f"/returns/{label}-Q{quarter}",
                           json=good_return(f"{label} Q{quarter}"))
    assert "only a completed period can be released" in refusal(response)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda b: b["tables"]["equality.sex"]["rows"].update(male=-5),
         "tables.equality.sex.rows.male must be a whole number of at least 0, or null"),
        (lambda b: b["tables"]["equality.sex"]["rows"].update(male=True),
         "tables.equality.sex.rows.male must be a whole number of at least 0, or null"),
        (lambda b: b["tables"]["equality.sex"]["rows"].update(male="10"),
         "tables.equality.sex.rows.male must be a whole number of at least 0, or null"),
        (lambda b: b["tables"]["equality.sex"]["rows"].update(male={"yes": 10}),
         "tables.equality.sex.rows.male must be a whole number of at least 0, or null"),
        (lambda b: b["tables"]["equality.sex"].update(total=10.0),
         "tables.equality.sex.total must be a whole number of at least 0, or null"),
        (lambda b: b["tables"]["equality.sex"].pop("total"),
         "tables.equality.sex must have exactly: rows, total"),
        (lambda b: b["tables"].update({"equality.sex": []}),
         "tables.equality.sex must be a non-empty JSON object"),
        (lambda b: b.update(tables={}), "tables must be a non-empty JSON object"),
        (lambda b: b.update(period="2024-25 Q2"),
         "period must be '2024-25 Q1', the quarter in the address"),
        (lambda b: b.update(rules={"threshold": 10}),
         "rules must have exactly: rounding_base, threshold"),
        (lambda b: b.update(rules={"threshold": 10, "rounding_base": 0}),
         "rules.rounding_base must be a whole number of at least 1"),
        (lambda b: b.update(case_ids=["abc"]), "Unknown field(s): case_ids"),
        (lambda b: b.pop("rules"), "Missing field(s): rules"),
    ],
)
def test_a_malformed_return_is_invalid_and_nothing_is_released(
    app: Flask, console: Console, change: Any, expected: str
) -> None:
    body = copy.deepcopy(good_return())
    change(body)
    assert invalid(console.put(URL, json=body)) == expected
    assert released(app) == 0


@pytest.mark.parametrize("period", ["2024-25", "2024-25-Q5", "2024-25%20Q1", "2024-25-q1"])
def test_the_address_must_name_a_quarter(console: Console, period: str) -> None:
    message = invalid(console.put(f"/returns/{period}", json=good_return()))
    assert message == "The period in the address must be a quarter, like 2025-26-Q1"


def test_a_return_needs_the_providers_token(app: Flask, console: Console) -> None:
    response = console.put(URL, json=good_return(), authorization="Bearer sr1.nope.nope")
    assert response.status_code == 401
    assert released(app) == 0
