"""PUT /returns/<period> through the real delivery API: a return that, read with intake's own
released tables, would pin one of intake's withheld figures is released reduced, the
provider's manager is told which figures went, and everything released then passes the
audit (issue 13).

Intake released 2024-25 Q1 as IDVA 10, ISVA 10, "not sure" [c] and a withheld total. The
provider's "online" cases are intake's referrals less withdrawals: a return with 30 online
(28 to 32) proves intake received at least 28, so "not sure" at least 28 - 12 - 12 = 4: a
withheld group proven not to be empty.
"""

from __future__ import annotations

from datetime import date

from flask import Flask

from app.disclosure import DisclosureRules, Period
from app.extensions import intake_db
from app.release_audit import audit
from app.standards import audit as release_audit
from app.standards.stored import new_release
from tests.api.conftest import Console
from tests.api.test_api_returns import URL, good_return

RULES = DisclosureRules(10, 5)
Q1 = Period(2024, 1)


def release_intake_quarter(app: Flask) -> None:
    received = {
        "kind": "counts",
        "rules": {"threshold": 10, "rounding_base": 5},
        "rows": {"idva": 10, "isva": 10, "not_sure": None},
        "total": None,
    }
    with app.app_context():
        intake_db.session.add(
            new_release("intake", "", Q1, "received", received, date(2024, 7, 20))
        )
        intake_db.session.commit()


def everything_released(app: Flask):
    with app.app_context():
        return release_audit.facts(release_audit.released_so_far(), RULES)


def test_a_return_that_would_pin_an_intake_figure_is_reduced_and_the_manager_is_told(
    app: Flask, console: Console
) -> None:
    release_intake_quarter(app)
    body = good_return()
    assert body["tables"]["other_routes"]["rows"]["online"] == 30
    # Read with intake's table, the return as sent proves "not sure" is not empty.
    with app.app_context():
        as_sent = release_audit.facts(
            [
                *release_audit.released_so_far(),
                *[
                    release_audit.Released("provider", "p", Q1.label, n, {"kind": "counts", **t})
                    for n, t in body["tables"].items()
                ],
            ],
            RULES,
        )
    failures = {f.name: f for f in audit(as_sent, rules=RULES).failures}
    assert failures["intake||2024-25 Q1|received|not_sure"].interval[0] >= 1

    response = console.put(URL, json=body)

    assert response.status_code == 201, response.get_json()
    message = response.get_json()["withheld_by_intake"]
    assert "would let a small count be worked out" in message
    assert "other_routes online" in message
    result = audit(everything_released(app), rules=RULES, exact=True)
    assert result.passed, [str(f) for f in result.failures]
    assert result.intervals["intake||2024-25 Q1|received|not_sure"][0] == 0
