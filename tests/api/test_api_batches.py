"""Batch confirmations: a page of referrals, messages or withdrawals confirmed in one request."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from app.extensions import intake_db
from app.intake import outgoing, referrals
from app.models.intake import Message, Referral
from tests.api.conftest import OTHER, PROVIDER, Console, seed_message, seed_referrals, stored
from tests.referrer_keys import referrer_for

TODAY = date.today().isoformat()
BATCHES = ["/referrals/delivered", "/messages/delivered", "/withdrawals/acknowledged"]


def receipt(referral_id: str, status: str = "delivered") -> dict[str, Any]:
    return {"id": referral_id, "status": status, "delivered_on": TODAY}


def withdraw(app: Flask, referral_id: str) -> None:
    with app.app_context():
        referral = intake_db.session.get(Referral, referral_id)
        assert referral is not None
        referrals.withdraw(referral, referrer_for(referral.id))


@pytest.fixture
def theirs(
    app: Flask, other_console: Console, route_to: Callable[[str], None]
) -> dict[str, str]:
    """Another recipient's delivered referral, a pending message on it, and a withdrawal."""
    route_to(OTHER)
    referral_id, withdrawn_id = seed_referrals(app, 2)
    route_to(PROVIDER)
    other_console.post("/referrals/delivered", json={"ids": [referral_id, withdrawn_id]})
    withdraw(app, withdrawn_id)
    return {"referral": referral_id, "message": seed_message(app, referral_id),
            "withdrawal": withdrawn_id}


def test_a_page_of_referrals_is_confirmed_in_one_request_and_intake_deletes_every_copy(
    app: Flask, console: Console, provider_key: object
) -> None:
    ids = seed_referrals(app, 5)

    response = console.post("/referrals/delivered", json={"ids": ids})

    assert response.status_code == 200
    assert response.get_json() == {"items": [receipt(i) for i in ids]}
    for referral_id in ids:
        row = stored(app, referral_id)
        assert (row.sealed, row.status, row.delivered_on) == (None, "delivered", date.today())
    assert console.pull_all("referrals") == []


def test_a_repeated_batch_answers_the_same_and_matches_the_single_item_answers(
    app: Flask, console: Console, provider_key: object
) -> None:
    ids = seed_referrals(app, 3)
    first = console.post("/referrals/delivered", json={"ids": ids}).get_json()

    again = console.post("/referrals/delivered", json={"ids": ids + ids[:1]}).get_json()

    assert again == first
    singles = [console.post(f"/referrals/{i}/delivered").get_json() for i in ids]
    assert singles == first["items"]


def test_a_referral_further_along_keeps_its_status_and_first_delivery_date(
    app: Flask, console: Console, provider_key: object
) -> None:
    referral_id, withdrawn_id = seed_referrals(app, 2)
    console.post(f"/referrals/{referral_id}/delivered")
    console.put(f"/referrals/{referral_id}/events/acknowledged", json={"on": TODAY})
    withdraw(app, withdrawn_id)

    items = console.post(
        "/referrals/delivered", json={"ids": [referral_id, withdrawn_id]}
    ).get_json()["items"]

    assert items == [receipt(referral_id, "with_advisor"), receipt(withdrawn_id, "withdrawn")]
    assert [w["id"] for w in console.pull_all("withdrawals")] == [withdrawn_id]


def test_a_page_of_messages_is_confirmed_and_only_the_providers_copies_deleted(
    app: Flask, console: Console, provider_key: object
) -> None:
    (referral_id,) = seed_referrals(app, 1)
    console.post("/referrals/delivered", json={"ids": [referral_id]})
    ids = [seed_message(app, referral_id, f"message {n}") for n in range(3)]

    response = console.post("/messages/delivered", json={"ids": ids})

    assert response.get_json() == {"items": [{"id": i, "delivered_on": TODAY} for i in ids]}
    with app.app_context():
        rows = intake_db.session.scalars(select(Message)).all()
        assert [(m.sealed_for_provider, m.delivered_on) for m in rows] == [
            (None, date.today())
        ] * 3
        assert all(m.sealed_for_referrer for m in rows)
    assert console.post("/messages/delivered", json={"ids": ids}).get_json() == response.get_json()
    assert console.pull_all("messages") == []


def test_an_advisors_reply_is_not_a_message_to_confirm(
    app: Flask, console: Console, provider_key: object
) -> None:
    (referral_id,) = seed_referrals(app, 1)
    console.post("/referrals/delivered", json={"ids": [referral_id]})
    with app.app_context():
        intake_db.session.add(Message(id="r" * 22, referral_id=referral_id, position=1,
                                      author="advisor", sealed_for_referrer=b"SRE"))
        intake_db.session.commit()

    assert console.post("/messages/delivered", json={"ids": ["r" * 22]}).get_json() == {
        "items": []
    }
    with app.app_context():
        assert intake_db.session.get(Message, "r" * 22).delivered_on is None


def test_a_page_of_withdrawals_is_acknowledged_and_a_live_referral_left_out(
    app: Flask, console: Console, provider_key: object
) -> None:
    live, *gone = seed_referrals(app, 3)
    console.post("/referrals/delivered", json={"ids": [live, *gone]})
    for referral_id in gone:
        withdraw(app, referral_id)

    response = console.post("/withdrawals/acknowledged", json={"ids": [live, *gone]})

    assert response.get_json() == {"items": [{"id": i, "withdrawn_on": TODAY} for i in gone]}
    assert console.pull_all("withdrawals") == []
    assert stored(app, live).delivered_on == date.today()  # untouched: nothing to acknowledge
    again = console.post("/withdrawals/acknowledged", json={"ids": [live, *gone]})
    assert again.get_json() == response.get_json()


@pytest.mark.parametrize("kind", ["referral", "message", "withdrawal"])
def test_a_batch_leaves_out_another_recipients_ids_exactly_like_unknown_ones(
    app: Flask, console: Console, other_console: Console, theirs: dict[str, str], kind: str
) -> None:
    url = BATCHES[["referral", "message", "withdrawal"].index(kind)]
    foreign = console.post(url, json={"ids": [theirs[kind]]})
    unknown = console.post(url, json={"ids": ["no-such-id"]})

    assert (foreign.status_code, foreign.get_json()) == (200, {"items": []})
    assert (unknown.status_code, unknown.get_json()) == (200, {"items": []})
    # Untouched: still pending for the recipient who holds them.
    assert other_console.pull_all("messages")[0]["id"] == theirs["message"]
    assert [w["id"] for w in other_console.pull_all("withdrawals")] == [theirs["withdrawal"]]
    assert stored(app, theirs["referral"]).status == "delivered"


def test_a_batch_mixing_own_and_foreign_ids_confirms_only_its_own(
    app: Flask, console: Console, theirs: dict[str, str], provider_key: object
) -> None:
    mine = seed_referrals(app, 2)
    (withdrawn,) = seed_referrals(app, 1)
    withdraw(app, withdrawn)  # a referral withdrawn at intake, never delivered

    items = console.post(
        "/referrals/delivered", json={"ids": [mine[0], theirs["referral"], withdrawn, mine[1]]}
    ).get_json()["items"]

    assert [i["id"] for i in items] == [mine[0], withdrawn, mine[1]]


def test_a_batch_is_one_transaction_so_a_failure_half_way_changes_nothing(
    app: Flask, console: Console, provider_key: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = seed_referrals(app, 3)

    def read_back_fails(*args: object) -> None:
        raise OperationalError("select", {}, Exception("the database went away"))

    monkeypatch.setattr(outgoing, "_read_back", read_back_fails)
    response = console.post("/referrals/delivered", json={"ids": ids})

    assert response.status_code == 503
    assert [stored(app, i).sealed is not None for i in ids] == [True] * 3
    assert [stored(app, i).status for i in ids] == ["received"] * 3


def test_a_batch_of_500_takes_the_same_few_statements_as_a_batch_of_2(
    app: Flask, console: Console, provider_key: object
) -> None:
    ids = seed_referrals(app, 500)
    with app.app_context():
        engine = intake_db.engine
    counted: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        counted.append(statement.split(None, 1)[0].upper())

    def confirmed(batch: list[str]) -> int:
        return len(console.post("/referrals/delivered", json={"ids": batch}).get_json()["items"])

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert confirmed(ids[:2]) == 2
        few = list(counted)
        counted.clear()
        assert confirmed(ids) == 500
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counted == few
    assert counted.count("UPDATE") == 1


@pytest.mark.parametrize(
    "body",
    [
        {"ids": []},
        {"ids": ["x"] * 501},
        {"ids": "abc"},
        {"ids": [1, 2]},
        {"ids": [None]},
        {"ids": ["has.a.dot"]},
        {"ids": ["x" * 65]},
        {"ids": [""]},
        {"ids": [["nested"]]},
        {},
        {"ids": ["abc"], "extra": True},
        ["abc"],
    ],
)
@pytest.mark.parametrize("url", BATCHES)
def test_a_batch_body_that_is_not_a_list_of_1_to_500_ids_is_422(
    console: Console, url: str, body: object
) -> None:
    response = console.post(url, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 422 and response.get_json()["error"] == "invalid"


@pytest.mark.parametrize("url", BATCHES)
def test_a_batch_body_that_is_not_json_is_400_or_415(console: Console, url: str) -> None:
    assert console.post(url, data='{"ids": [', content_type="application/json").status_code == 400
    assert console.post(url, data=json.dumps({"ids": ["a"]}),
                        content_type="text/plain").status_code == 415
    assert console.post(url).status_code == 415


@pytest.mark.parametrize("url", BATCHES)
def test_a_batch_needs_the_token(console: Console, url: str) -> None:
    assert console.post(url, json={"ids": ["a"]}, authorization="").status_code == 401
