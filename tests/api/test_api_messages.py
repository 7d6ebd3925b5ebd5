"""Referrers' messages out to the provider, and advisors' sealed replies back in."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.authenticity import prove_message
from app.extensions import intake_db
from app.models.intake import Message
from crypto.envelope import ReferrerBinding, open_envelope, open_record, seal_record
from crypto.keys import PrivateKey
from tests.api.conftest import OTHER, PROVIDER, Console, seed_message, seed_referrals
from tests.referrer import Referrer

TODAY = date.today().isoformat()


def say(referrer: Referrer, phrase: str, body: str) -> None:
    assert referrer.sign_in(phrase).status_code == 303
    assert referrer.send_message(body).status_code == 303


def status_page(referrer: Referrer, phrase: str) -> str:
    assert referrer.sign_in(phrase).status_code == 303
    return referrer.client.get("/status").get_data(as_text=True)


def reply(
    referral: dict[str, Any], reply_id: str, body: str, sent_on: str = TODAY, sequence: int = 1
) -> dict[str, Any]:
    """A reply as the console sends it: sealed to the key inside the envelope, with its proof."""
    binding: ReferrerBinding = referral["binding"]
    sealed = seal_record("message", reply_id, {"body": body}, binding.public_key)
    proof = prove_message(
        binding.auth_key, "provider", referral_id=referral["id"], sequence=sequence,
        message_id=reply_id, sent_on=date.fromisoformat(sent_on), sealed=sealed,
    )
    return {"sealed": b64(sealed), "sent_on": sent_on, "sequence": sequence, "proof": b64(proof)}


def b64(blob: bytes) -> str:
    return base64.b64encode(blob).decode()


@pytest.fixture
def delivered(
    referral: dict[str, Any], console: Console, provider_key: PrivateKey
) -> dict[str, Any]:
    assert console.post(f"/referrals/{referral['id']}/delivered").status_code == 200
    sealed = base64.b64decode(referral["sealed"])
    binding = open_envelope("referral", referral["id"], sealed, provider_key).referrer
    return referral | {"binding": binding}


def test_a_referrers_message_comes_through_sealed_to_the_provider(
    referrer: Referrer, delivered: dict[str, Any], console: Console, provider_key: PrivateKey
) -> None:
    say(referrer, delivered["phrase"], "Please call after six")
    (item,) = console.pull_all("messages")
    assert item["referral_id"] == delivered["id"] and item["sent_on"] == TODAY
    assert item["position"] == 1
    opened = open_record("message", item["id"], base64.b64decode(item["sealed"]), provider_key)
    assert opened == {"body": "Please call after six"}


def test_same_day_messages_carry_their_order_as_a_position(
    referrer: Referrer, delivered: dict[str, Any], console: Console, provider_key: PrivateKey
) -> None:
    for body in ("first", "second", "third"):
        say(referrer, delivered["phrase"], body)
    items = sorted(console.pull_all("messages"), key=lambda item: item["position"])
    bodies = [
        open_record("message", i["id"], base64.b64decode(i["sealed"]), provider_key)["body"]
        for i in items
    ]
    assert bodies == ["first", "second", "third"]
    assert [i["position"] for i in items] == [1, 2, 3]


def test_a_message_waits_until_its_referral_is_confirmed(
    referrer: Referrer, referral: dict[str, Any], console: Console
) -> None:
    say(referrer, referral["phrase"], "One more thing")
    assert console.pull_all("messages") == []
    console.post(f"/referrals/{referral['id']}/delivered")
    assert len(console.pull_all("messages")) == 1


def test_confirming_a_message_deletes_the_providers_copy_only_and_is_idempotent(
    app: Flask, referrer: Referrer, delivered: dict[str, Any], console: Console
) -> None:
    say(referrer, delivered["phrase"], "Thank you")
    (item,) = console.pull_all("messages")
    first = console.post(f"/messages/{item['id']}/delivered")
    assert first.status_code == 200
    assert first.get_json() == {"id": item["id"], "delivered_on": TODAY}
    assert console.post(f"/messages/{item['id']}/delivered").get_json() == first.get_json()
    with app.app_context():
        row = intake_db.session.get(Message, item["id"])
        assert row.sealed_for_provider is None and row.sealed_for_referrer is not None
    assert console.pull_all("messages") == []
    # The referrer still reads their own copy.
    assert "Thank you" in status_page(referrer, delivered["phrase"])


def test_another_recipients_message_is_404(
    client: FlaskClient,
    console: Console,
    other_console: Console,
    route_to: Callable[[str], None],
) -> None:
    route_to(OTHER)
    theirs = Referrer(client)
    phrase = theirs.refer()
    route_to(PROVIDER)
    (item,) = other_console.pull_all("referrals")
    other_console.post(f"/referrals/{item['id']}/delivered")
    say(theirs, phrase, "For the other service")
    (message,) = other_console.pull_all("messages")
    assert console.pull_all("messages") == []
    response = console.post(f"/messages/{message['id']}/delivered")
    assert response.status_code == 404
    assert response.get_json() == console.post("/messages/unknown/delivered").get_json()
    assert len(other_console.pull_all("messages")) == 1


def test_a_reply_reaches_the_referrers_status_page_and_repeats_are_idempotent(
    referrer: Referrer, delivered: dict[str, Any], console: Console
) -> None:
    reply_id = secrets.token_urlsafe(16)
    body = reply(delivered, reply_id, "We will call you on Tuesday", TODAY)
    url = f"/referrals/{delivered['id']}/replies/{reply_id}"
    first = console.put(url, json=body)
    assert first.status_code == 201
    assert first.get_json() == {
        "id": reply_id, "referral_id": delivered["id"], "position": 1, "sent_on": TODAY
    }
    again = console.put(url, json=body)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    page = status_page(referrer, delivered["phrase"])
    assert page.count("We will call you on Tuesday") == 1


def test_replies_take_the_next_position_after_the_referrers_messages(
    referrer: Referrer, delivered: dict[str, Any], console: Console
) -> None:
    say(referrer, delivered["phrase"], "Hello")
    reply_id = secrets.token_urlsafe(16)
    response = console.put(
        f"/referrals/{delivered['id']}/replies/{reply_id}",
        json=reply(delivered, reply_id, "Hi", TODAY),
    )
    assert response.get_json()["position"] == 2


def test_the_same_reply_id_with_a_different_body_is_409(
    delivered: dict[str, Any], console: Console
) -> None:
    reply_id = secrets.token_urlsafe(16)
    url = f"/referrals/{delivered['id']}/replies/{reply_id}"
    console.put(url, json=reply(delivered, reply_id, "One", TODAY))
    response = console.put(
        url, json=reply(delivered, reply_id, "Two", TODAY)
    )
    assert response.status_code == 409 and response.get_json()["error"] == "conflict"


@pytest.mark.parametrize(
    ("sealed", "words"),
    [
        ("sealed to the provider", "referrer key"),
        ("not an envelope", "not a Safe Referral envelope"),
        ("not base64!", "not valid base64"),
        ("too large", "at most 80 KiB"),
    ],
)
def test_a_reply_the_referrer_could_not_open_is_422(
    delivered: dict[str, Any], console: Console, provider_key: PrivateKey, sealed: str, words: str
) -> None:
    reply_id = secrets.token_urlsafe(16)
    blobs = {
        "sealed to the provider": base64.b64encode(
            seal_record("message", reply_id, {"body": "x"}, provider_key.public_key)
        ).decode(),
        "not an envelope": base64.b64encode(b"just some bytes").decode(),
        "not base64!": "not base64!",
        "too large": base64.b64encode(bytes(90 * 1024)).decode(),
    }
    response = console.put(
        f"/referrals/{delivered['id']}/replies/{reply_id}",
        json=reply(delivered, reply_id, "x") | {"sealed": blobs[sealed]},
    )
    assert response.status_code == 422
    assert words in response.get_json()["message"]


@pytest.mark.parametrize("reply_id", ["short", "x" * 33, "has.dot.in.it.1234567"])
def test_a_reply_id_that_is_not_16_to_32_url_safe_characters_is_422(
    delivered: dict[str, Any], console: Console, reply_id: str
) -> None:
    response = console.put(
        f"/referrals/{delivered['id']}/replies/{reply_id}",
        json=reply(delivered, "x" * 16, "Hi", TODAY),
    )
    assert response.status_code == 422


def test_a_reply_dated_in_the_future_is_422(delivered: dict[str, Any], console: Console) -> None:
    reply_id = secrets.token_urlsafe(16)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    response = console.put(
        f"/referrals/{delivered['id']}/replies/{reply_id}",
        json=reply(delivered, reply_id, "Hi", tomorrow),
    )
    assert response.status_code == 422


def test_a_closed_referral_takes_no_new_replies_but_a_retried_one_still_succeeds(
    delivered: dict[str, Any], console: Console
) -> None:
    sent_id, late_id = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    sent = reply(delivered, sent_id, "Bye", TODAY)
    console.put(f"/referrals/{delivered['id']}/replies/{sent_id}", json=sent)
    closed = console.put(
        f"/referrals/{delivered['id']}/events/closed",
        json={"on": TODAY, "reason": "support_completed"},
    )
    assert closed.status_code == 200
    retried = console.put(f"/referrals/{delivered['id']}/replies/{sent_id}", json=sent)
    assert retried.status_code == 200
    late = console.put(
        f"/referrals/{delivered['id']}/replies/{late_id}",
        json=reply(delivered, late_id, "Late", TODAY),
    )
    assert late.status_code == 409


def _date_messages(app: Flask, days_ago: dict[str, int]) -> None:
    with app.app_context():
        for message_id, days in days_ago.items():
            intake_db.session.get(Message, message_id).sent_on = date.today() - timedelta(days)
        intake_db.session.commit()


def test_pending_messages_come_in_send_order_so_each_conversation_keeps_its_order_across_pages(
    app: Flask, console: Console
) -> None:
    first, second = seed_referrals(app, 2)
    console.post("/referrals/delivered", json={"ids": [first, second]})
    sent = {r: [seed_message(app, r, f"{r} {n}") for n in range(4)] for r in (first, second)}
    # Two days ago, yesterday, today, today: a conversation spread over days, as in life.
    _date_messages(app, {ids[n]: days for ids in sent.values() for n, days in enumerate([2, 1])})

    pages, after = [], None
    while True:
        body = console.get("/messages?limit=3" + (f"&after={after}" if after else "")).get_json()
        pages.append(body["items"])
        after = body["next"]
        if after is None:
            break

    items = [item for page in pages for item in page]
    assert [len(page) for page in pages] == [3, 3, 2]
    assert [(i["sent_on"], i["position"]) for i in items] == sorted(
        (i["sent_on"], i["position"]) for i in items
    )
    for referral_id, ids in sent.items():
        assert [i["id"] for i in items if i["referral_id"] == referral_id] == ids


def test_confirming_each_page_before_the_next_still_reaches_every_message(
    app: Flask, console: Console
) -> None:
    (referral_id,) = seed_referrals(app, 1)
    console.post(f"/referrals/{referral_id}/delivered")
    sent = [seed_message(app, referral_id, f"message {n}") for n in range(5)]

    seen, after = [], None
    while True:
        body = console.get("/messages?limit=2" + (f"&after={after}" if after else "")).get_json()
        ids = [item["id"] for item in body["items"]]
        console.post("/messages/delivered", json={"ids": ids})
        seen += ids
        after = body["next"]
        if after is None:
            break

    assert seen == sent
    assert console.pull_all("messages") == []


@pytest.mark.parametrize(
    "after", ["abc", "20261301_1_abc", "2026112_1_abc", "20261125_x_abc", "20261125_1_",
              "20261125_1234567890_abc", "some-message-id"]
)
def test_a_made_up_message_cursor_is_422(console: Console, after: str) -> None:
    response = console.get(f"/messages?after={after}")
    assert response.status_code == 422 and response.get_json()["error"] == "invalid"
