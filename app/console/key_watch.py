"""The console watches what intake seals to (DESIGN G2).

Intake's database is not trusted to keep the provider's key: someone who can write it could
swap in their own. So at the start of every sync the console fetches the signed key set intake
is sealing to and compares it (its digest) with its own newest set; any difference stops the
sync before anything is pulled, is audited and sends the content-free alert to the duty inbox.
A referral sealed to a key that is not one of the provider's is refused: never stored, never
opened, never confirmed (so intake keeps it, for investigation), and reported the same way.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from datetime import date

from flask import current_app

from app.console import alerts, audit, provider_keys
from app.console.intake_client import IntakeClient, IntakeRefused, IntakeUnavailable
from app.console.sync_summary import Stop, SyncSummary
from app.extensions import console_db as db
from crypto.envelope import recipient_key_id
from crypto.errors import CryptoError, KeySetError
from crypto.key_set import verify_key_set

log = logging.getLogger("app.console.sync")
KEY_ALARM = "key_alarm"  # the audit action of every key problem


def alarm(summary: SyncSummary, what: str) -> None:
    """Audit, alert and show a key problem; `what` is content-free (no case, no content)."""
    summary.key_alarms.append(what)
    summary.errors.append(f"KEY ALARM: {what}")
    audit.record(db.session, "sync", KEY_ALARM, "intake", what)
    log.error("sync: key alarm: %s", what)
    alerts.key_alarm(current_app.config, what)


def check_key_set(client: IntakeClient, summary: SyncSummary) -> None:
    """Return only if intake holds exactly the provider's newest signed key set; else Stop."""
    current = provider_keys.current_key_set()
    signing = provider_keys.verify_key()
    if current is None or signing is None:
        summary.errors.append("this console has no signed key set yet: create the provider key")
        raise Stop
    if current.delivered_on is None:
        _push(client, summary, current.blob)
        current.delivered_on = date.today()
        db.session.commit()
    try:
        value = client.get("/key-set").body.get("key_set")
    except (IntakeUnavailable, IntakeRefused) as error:
        summary.errors.append(f"asking intake for its key set: {error}")
        raise Stop from None
    try:
        held = base64.b64decode(str(value), validate=True) if value else b""
        digest = verify_key_set(held, signing.fingerprint).digest
    except (binascii.Error, ValueError, KeySetError):
        alarm(summary, "intake holds a key set not signed by this provider's signing key")
        raise Stop from None
    if not hmac.compare_digest(digest, current.digest):
        alarm(summary, "intake holds a key set other than this provider's newest one")
        raise Stop


def _push(client: IntakeClient, summary: SyncSummary, blob: bytes) -> None:
    """Send a newly signed set (rotation); intake verifies it against its pin."""
    try:
        client.put("/key-set", {"key_set": base64.b64encode(blob).decode("ascii")})
    except IntakeUnavailable as error:
        summary.errors.append(f"sending the key set to intake: {error}")
        raise Stop from None
    except IntakeRefused as error:
        if error.status in (401, 403, 404, 405):
            # The token or an older intake, not the keys: reported like any refused request.
            summary.errors.append(f"sending the key set to intake: {error}")
        else:
            alarm(summary, f"intake refused this provider's new key set ({error.code})")
        raise Stop from None


def foreign(sealed: bytes | None, own: set[str]) -> bool:
    """True when an envelope is not sealed to one of the provider's keys (or is no envelope)."""
    if sealed is None:
        return False
    try:
        return recipient_key_id(sealed) not in own
    except (CryptoError, ValueError):
        return True
