"""The duty-inbox alert: one content-free email per sync that brought new cases (DESIGN 6).

A real SMTP server (aiosmtpd) on 127.0.0.1 receives whatever the console sends.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from app.console import alerts
from tests.two_apps import Linked, linked_fixture  # noqa: F401


class Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(linked: Linked) -> Iterator[Inbox]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    linked.console.config.update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=port, DUTY_INBOX="duty@provider.test",
        ALERT_SENDER="console@provider.test",
    )
    try:
        yield inbox
    finally:
        controller.stop()


def test_a_sync_with_new_cases_sends_one_content_free_alert_to_the_duty_inbox(
    linked: Linked, smtp: Inbox
) -> None:
    ids = [linked.refer("Alert marker 8121", service) for service in ("idva", "isva", "isva")]

    linked.sync()

    assert len(smtp.received) == 1
    recipients, raw = smtp.received[0]
    assert recipients == ["duty@provider.test"]
    email = message_from_bytes(raw)
    assert email["Subject"] == "New referrals waiting"
    assert email["From"] == "console@provider.test"
    assert email.get_payload().strip() == "3 new referral(s) are waiting in the advisor console."
    text = raw.decode("utf-8", "replace").lower()
    for forbidden in ["alert marker", "idva", "isva", "not_sure", *[i.lower() for i in ids]]:
        assert forbidden not in text
    for forbidden in [i[:8].lower() for i in ids]:  # not even the short reference
        assert forbidden not in text


def test_no_alert_when_a_sync_brings_nothing_new(linked: Linked, smtp: Inbox) -> None:
    linked.refer()
    linked.sync()
    referral_id = linked.refer()
    linked.sync()
    linked.referrer_says(referral_id, "a message is not a new case")

    assert linked.sync().new_messages == 1
    assert linked.sync().new_cases == 0
    assert len(smtp.received) == 2  # one per sync that brought a case, none since


def test_a_mail_server_that_is_down_is_logged_without_content_and_the_sync_still_succeeds(
    linked: Linked, caplog: pytest.LogCaptureFixture
) -> None:
    linked.console.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=_free_port(),
                                 DUTY_INBOX="duty@provider.test")
    referral_id = linked.refer("Logged marker 5530")

    summary = linked.sync()

    assert (summary.new_cases, summary.errors) == (1, [])
    assert "new-referral alert not sent (ConnectionRefusedError)" in caplog.text
    assert "Logged marker" not in caplog.text and referral_id not in caplog.text
    assert "duty@provider.test" not in caplog.text


def test_without_a_duty_inbox_or_mail_server_nothing_is_sent() -> None:
    assert alerts.new_referrals_waiting({"SMTP_HOST": "", "DUTY_INBOX": "d@p.test"}, 2) is False
    assert alerts.new_referrals_waiting({"SMTP_HOST": "127.0.0.1", "DUTY_INBOX": ""}, 2) is False
    assert alerts.new_referrals_waiting(
        {"SMTP_HOST": "127.0.0.1", "DUTY_INBOX": "d@p.test"}, 0
    ) is False


def test_several_duty_inboxes_get_the_same_single_message(linked: Linked, smtp: Inbox) -> None:
    linked.console.config["DUTY_INBOX"] = "duty@provider.test, manager@provider.test"
    linked.refer()

    linked.sync()

    assert [r for r, _ in smtp.received] == [["duty@provider.test", "manager@provider.test"]]
