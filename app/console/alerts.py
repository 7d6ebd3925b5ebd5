"""The content-free alert to the provider's duty inbox when new cases arrive (DESIGN section 6).

Email leaves the provider's control (mail servers, phones, shared inboxes), so the alert
says only how many referrals are waiting: no service, no name, no case id, no link to a case.
A failure to send is logged without content and never fails the sync: the cases are safely
stored either way, and the inbox shows them.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

log = logging.getLogger(__name__)

SUBJECT = "New referrals waiting"
SMTP_TIMEOUT = 10.0


def alert_message(sender: str, recipients: list[str], count: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = SUBJECT
    message.set_content(f"{count} new referral(s) are waiting in the advisor console.\n")
    return message


def new_referrals_waiting(config: Mapping[str, Any], count: int) -> bool:
    """Send one alert for `count` new cases; True when the mail server accepted it."""
    recipients = [a.strip() for a in str(config.get("DUTY_INBOX", "")).split(",") if a.strip()]
    host = config.get("SMTP_HOST", "")
    if count < 1 or not recipients or not host:
        return False
    sender = config.get("ALERT_SENDER", "safe-referral@localhost")
    message = alert_message(sender, recipients, count)
    try:
        with smtplib.SMTP(host, int(config.get("SMTP_PORT", 25)), timeout=SMTP_TIMEOUT) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("new-referral alert not sent (%s)", type(error).__name__)
        return False
    return True


KEY_ALARM_SUBJECT = "Safe Referral: sync stopped, check the provider keys"


def key_alarm(config: Mapping[str, Any], what: str) -> bool:
    """Tell the duty inbox that intake is not sealing to the provider's keys.

    `what` is one of key_watch's fixed, content-free sentences; the cases stay where they are.
    """
    recipients = [a.strip() for a in str(config.get("DUTY_INBOX", "")).split(",") if a.strip()]
    host = config.get("SMTP_HOST", "")
    if not recipients or not host:
        return False
    message = EmailMessage()
    message["From"] = config.get("ALERT_SENDER", "safe-referral@localhost")
    message["To"] = ", ".join(recipients)
    message["Subject"] = KEY_ALARM_SUBJECT
    message.set_content(
        f"The sync with the referral website stopped or refused a referral: {what}.\n"
        "Someone may have altered the referral website's records. Tell the provider's manager "
        "and check the sync page in the advisor console.\n"
    )
    try:
        with smtplib.SMTP(host, int(config.get("SMTP_PORT", 25)), timeout=SMTP_TIMEOUT) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("key alarm not sent (%s)", type(error).__name__)
        return False
    return True
