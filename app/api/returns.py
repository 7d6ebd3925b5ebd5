"""PUT /returns/<period>: the provider's quarterly statistical return (DESIGN G5, G6).

The only monitoring data that ever crosses the API: one-way tables the console has already
protected. This view checks the body's shape strictly (so a malformed return is an `invalid`
error, never half-read) and hands it to app.standards.provider_returns, which checks every
table against intake's own disclosure rules (never the rules the body claims) and releases
the quarter once.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Response, g, jsonify

from app.api import bodies
from app.api.blueprint import bp
from app.api.errors import ApiError
from app.disclosure import DisclosureRules
from app.return_contract import PROVIDER_TABLES
from app.standards import settings
from app.standards.provider_returns import ReturnRefused, accept_provider_return, reduction

QUARTER_IN_URL = re.compile(r"(\d{4}-\d{2})-(Q[1-4])")


def _label(period: str) -> str:
    match = QUARTER_IN_URL.fullmatch(period)
    if not match:
        raise ApiError(422, "The period in the address must be a quarter, like 2025-26-Q1")
    return f"{match[1]} {match[2]}"


def _count(value: object, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ApiError(422, f"{where} must be a whole number of at least 0, or null")
    return value


def _object(value: object, where: str, keys: set[str] | None = None) -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        raise ApiError(422, f"{where} must be a non-empty JSON object")
    if keys is not None and set(value) != keys:
        raise ApiError(422, f"{where} must have exactly: {', '.join(sorted(keys))}")
    return value


def _rules(value: object) -> DisclosureRules:
    rules = _object(value, "rules", {"threshold", "rounding_base"})
    for name, number in rules.items():
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ApiError(422, f"rules.{name} must be a whole number of at least 1")
    return DisclosureRules(rules["threshold"], rules["rounding_base"])


def _tables(value: object) -> dict[str, dict[str, Any]]:
    tables = _object(value, "tables")
    unknown = sorted(set(tables) - set(PROVIDER_TABLES))
    if unknown:
        # There are no two-way tables: a name like "police_connected x ethnicity" ends here.
        raise ApiError(
            422,
            f"Unknown table(s): {', '.join(unknown)}. A return holds only the one-way "
            "tables in the API description."[:200],
        )
    for name, table in tables.items():
        table = _object(table, f"tables.{name}", {"rows", "total"})
        for code, count in _object(table["rows"], f"tables.{name}.rows").items():
            _count(count, f"tables.{name}.rows.{code}")
        _count(table["total"], f"tables.{name}.total")
    return tables


def _refused(problems: list[str]) -> Response:
    response = jsonify(error="return_refused", message="; ".join(problems))
    response.status_code = 422
    return response


@bp.put("/returns/<period>")
def put_return(period: str) -> tuple[Response, int] | Response:
    label = _label(period)
    body = bodies.json_object({"period", "rules", "tables"})
    if body["period"] != label:
        raise ApiError(422, f"period must be {label!r}, the quarter in the address")
    sent_with, tables = _rules(body["rules"]), _tables(body["tables"])
    rules = settings.rules()
    if sent_with != rules:
        # Checked under intake's rules only: tables made with others would not pass anyway.
        return _refused(
            [
                f"The return was protected with threshold {sent_with.threshold} and rounding base "
                f"{sent_with.rounding_base}; intake releases with threshold {rules.threshold} and "
                f"rounding base {rules.rounding_base}"
            ]
        )
    try:
        releases = accept_provider_return(g.recipient_id, label, tables, rules)
    except ReturnRefused as refused:
        # A second return for a released period comes here too: the function does not tell
        # it apart, so it is a 422 with the function's own words.
        return _refused(refused.problems)
    receipt = {
        "period": label,
        "tables": [release.table_name for release in releases],
        "released_on": releases[0].released_on.isoformat(),
    }
    if withheld := reduction(releases):
        receipt["withheld_by_intake"] = withheld  # the manager must be told (issue 13)
    return jsonify(receipt), 201
