"""Pulling referrals, confirming delivery, withdrawals, and keeping recipients apart."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.authenticity import withdrawal_is_genuine
from crypto.envelope import open_envelope, open_record
from crypto.keys import PrivateKey
from tests.api.conftest import OTHER, PROVIDER, Console, stored
from tests.referrer import Referrer

TODAY = date.today().isoformat()


def withdraw(referrer: Referrer, phrase: str) -> None:
    assert referrer.sign_in(phrase).status_code == 303
    assert referrer.post("/status/delete", {}).status_code == 303


def test_a_pulled_referral_opens_with_the_provider_key_to_what_the_referrer_sent(
    referral: dict[str, Any], provider_key: PrivateKey
) -> None:
    fields = open_record(
        "referral", referral["id"], base64.b64decode(referral["sealed"]), provider_key
    )
    assert fields["name"] == "Sam"
    assert fields["email"] == "safe@example.org"
    assert referral["service"] == "isva"
    assert referral["received_on"] == TODAY
    # The referrer's reply key travels inside the envelope only, never beside it (G2).
    assert "referrer_public_key" not in referral
    opened = open_envelope(
        "referral", referral["id"], base64.b64decode(referral["sealed"]), provider_key
    )
    assert opened.version == 2 and opened.referrer is not None


def test_pulling_pages_through_seven_referrals_three_at_a_time(
    client: FlaskClient, console: Console
) -> None:
    for _ in range(7):
        Referrer(client).refer()
    pages, after = [], None
    while True:
        response = console.get("/referrals?limit=3" + (f"&after={after}" if after else ""))
        pages.append([item["id"] for item in response.get_json()["items"]])
        after = response.get_json()["next"]
        if after is None:
            break
        assert after == pages[-1][-1]
    assert [len(page) for page in pages] == [3, 3, 1]
    ids = [i for page in pages for i in page]
    assert ids == sorted(ids) and len(set(ids)) == 7


def test_a_full_last_page_still_ends_with_next_null(client: FlaskClient, console: Console) -> None:
    for _ in range(2):
        Referrer(client).refer()
    first = console.get("/referrals?limit=2").get_json()
    assert len(first["items"]) == 2 and first["next"] is None


def test_confirming_delivery_deletes_the_sealed_content_and_is_idempotent(
    app: Flask, referral: dict[str, Any], console: Console
) -> None:
    first = console.post(f"/referrals/{referral['id']}/delivered")
    assert first.status_code == 200
    assert first.get_json() == {"id": referral["id"], "status": "delivered", "delivered_on": TODAY}
    row = stored(app, referral["id"])
    assert row.sealed is None and row.status == "delivered" and row.delivered_on == date.today()
    again = console.post(f"/referrals/{referral['id']}/delivered")
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert console.pull_all("referrals") == []


def test_confirming_an_unknown_referral_is_404(console: Console) -> None:
    response = console.post("/referrals/no-such-referral/delivered")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_one_recipient_never_sees_or_touches_another_recipients_referrals(
    client: FlaskClient,
    console: Console,
    other_console: Console,
    route_to: Callable[[str], None],
) -> None:
    Referrer(client).refer()
    route_to(OTHER)
    Referrer(client).refer()
    route_to(PROVIDER)
    (my_item,) = console.pull_all("referrals")
    (their_item,) = other_console.pull_all("referrals")
    assert my_item["id"] != their_item["id"]
    other_id = their_item["id"]
    unknown = console.post("/referrals/no-such-referral/delivered").get_json()
    attempts = [
        console.post(f"/referrals/{other_id}/delivered"),
        console.post(f"/withdrawals/{other_id}/acknowledged"),
        console.put(f"/referrals/{other_id}/events/acknowledged", json={"on": TODAY}),
        console.put(
            f"/referrals/{other_id}/replies/{'r' * 22}",
            json={"sealed": base64.b64encode(b"SRE").decode(), "sent_on": TODAY,
                  "sequence": 1, "proof": base64.b64encode(bytes(32)).decode()},
        ),
    ]
    # Exactly the answer for an id that does not exist: existence is never revealed.
    assert [(a.status_code, a.get_json()) for a in attempts] == [(404, unknown)] * 4
    # Their referral is untouched: still pending for them.
    assert [i["id"] for i in other_console.pull_all("referrals")] == [other_id]


def test_a_withdrawal_after_delivery_is_offered_until_acknowledged_with_the_phrase_holders_proof(
    app: Flask, referrer: Referrer, referral: dict[str, Any], console: Console,
    provider_key: PrivateKey,
) -> None:
    console.post(f"/referrals/{referral['id']}/delivered")
    assert console.pull_all("withdrawals") == []
    withdraw(referrer, referral["phrase"])
    row = stored(app, referral["id"])
    assert (row.status, row.closed_on, row.closure_reason) == (
        "withdrawn", date.today(), "withdrawn_by_referrer"
    )
    (item,) = console.pull_all("withdrawals")
    assert (item["id"], item["withdrawn_on"]) == (referral["id"], TODAY)
    binding = open_envelope(
        "referral", referral["id"], base64.b64decode(referral["sealed"]), provider_key
    ).referrer
    assert binding is not None
    assert withdrawal_is_genuine(
        binding.auth_key, base64.b64decode(item["proof"]), referral_id=referral["id"],
        withdrawn_on=date.today(),
    )
    first = console.post(f"/withdrawals/{referral['id']}/acknowledged")
    assert first.status_code == 200
    assert first.get_json() == {"id": referral["id"], "withdrawn_on": TODAY}
    assert console.pull_all("withdrawals") == []
    again = console.post(f"/withdrawals/{referral['id']}/acknowledged")
    assert again.status_code == 200 and again.get_json() == first.get_json()


def test_a_referral_withdrawn_before_delivery_is_never_offered(
    referrer: Referrer, referral: dict[str, Any], console: Console
) -> None:
    withdraw(referrer, referral["phrase"])
    assert console.pull_all("referrals") == []
    assert console.pull_all("withdrawals") == []


def test_confirming_a_referral_withdrawn_since_it_was_pulled_asks_for_deletion(
    referrer: Referrer, referral: dict[str, Any], console: Console
) -> None:
    withdraw(referrer, referral["phrase"])
    response = console.post(f"/referrals/{referral['id']}/delivered")
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"
    assert [w["id"] for w in console.pull_all("withdrawals")] == [referral["id"]]


def test_acknowledging_a_withdrawal_of_a_live_referral_is_409(
    referral: dict[str, Any], console: Console
) -> None:
    response = console.post(f"/withdrawals/{referral['id']}/acknowledged")
    assert response.status_code == 409 and response.get_json()["error"] == "conflict"
