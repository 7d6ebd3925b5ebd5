"""What the sync tells intake: confirmations of what the console has stored, and the outbox
(sealed replies and content-free workflow dates), each sent until intake has answered it.

Confirmations go in one request per page when intake offers the batch endpoints, else one
request per item. An intake without them answers 404, and is then asked item by item. A
batch answer lists what intake confirmed; anything it left out (it no longer holds it, or
will not confirm it) is asked about item by item, whose answers say which.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select, tuple_

from app.console import sync_store
from app.console.intake_client import IntakeClient, IntakeRefused, IntakeUnavailable
from app.console.sync_summary import Stop, SyncSummary, database
from app.extensions import console_db as db
from app.models.console import Case, OutboxItem

BATCH_PATHS = {
    "referral": "/referrals/delivered",
    "message": "/messages/delivered",
    "withdrawal": "/withdrawals/acknowledged",
}
BATCH_LIMIT = 500
_without_batches: set[str] = set()  # API base URLs whose intake has no batch endpoints


def confirm(client: IntakeClient, summary: SyncSummary, kind: str, intake_ids: list[str]) -> None:
    """Tell intake these items are stored; outbox rows that were answered are marked sent."""
    sent: list[str] = []
    try:
        for start in range(0, len(intake_ids), BATCH_LIMIT):
            chunk = intake_ids[start : start + BATCH_LIMIT]
            confirmed = set(_confirm_batch(client, summary, kind, chunk))
            sent += [sync_store.ack_id(kind, intake_id) for intake_id in confirmed]
            for intake_id in chunk:
                if intake_id in confirmed:
                    continue
                path = sync_store.ACK_PATHS[kind].format(intake_id)
                if send(client, summary, "POST", path, ack=True):
                    sent.append(sync_store.ack_id(kind, intake_id))
    finally:
        with database(summary, "recording confirmations"):
            sync_store.mark_sent(sent)


def _confirm_batch(
    client: IntakeClient, summary: SyncSummary, kind: str, ids: list[str]
) -> list[str]:
    """The ids intake confirmed in one request; none when it offers no batch endpoints."""
    if client.base_url in _without_batches or len(ids) < 2:
        return []
    try:
        items = client.post(BATCH_PATHS[kind], {"ids": ids}).body.get("items")
    except IntakeUnavailable as error:
        summary.errors.append(f"sending to intake: {error}")
        raise Stop from None
    except IntakeRefused as error:
        if error.status in (404, 405):
            _without_batches.add(client.base_url)
        return []  # item by item instead, which reports any refusal precisely
    asked = set(ids)
    return [i["id"] for i in items or [] if isinstance(i, dict) and i.get("id") in asked]


def send(
    client: IntakeClient, summary: SyncSummary, method: str, path: str, body: str = "",
    ack: bool = False,
) -> bool:
    """One push; True when intake has it. Unavailable stops the run; a refusal is noted."""
    try:
        client.request(method, path, body or None)
    except IntakeUnavailable as error:
        summary.errors.append(f"sending to intake: {error}")
        raise Stop from None
    except IntakeRefused as error:
        if ack and error.status == 404:
            return True  # intake holds nothing to confirm any more
        summary.errors.append(f"{_kind(path)} not accepted: {error}")
        if error.status in (401, 403):
            raise Stop from None  # the token is wrong for every request, not just this one
        return False
    return True


def _kind(path: str) -> str:
    if "/replies/" in path:
        return "a reply"
    if "/events/" in path:
        return "a workflow date"
    return "a confirmation"


def push_outbox(client: IntakeClient, summary: SyncSummary, size: int) -> None:
    """Send every unsent outbox item, oldest first, a page at a time."""
    after: tuple[Any, str] | None = None
    while True:
        with database(summary, "reading the outbox"):
            page = _outbox_page(after, size)
        if not page:
            return
        for item_id, method, path, body, created_at in page:
            after = (created_at, item_id)
            ack = sync_store.is_ack(item_id)
            if send(client, summary, method, path, body, ack=ack):
                with database(summary, "recording a sent update"):
                    sync_store.mark_sent([item_id])
                summary.pushed += not ack


def _outbox_page(after: tuple[Any, str] | None, size: int) -> list[tuple]:
    query = (
        select(OutboxItem.id, OutboxItem.method, OutboxItem.path, OutboxItem.body,
               OutboxItem.created_at)
        .join(Case, Case.id == OutboxItem.case_id)
        .where(OutboxItem.sent_at.is_(None))
        # A withdrawn referral takes no more replies or dates; confirmations still go. So
        # does one with a withdrawal waiting for its proof check: held until it is settled.
        .where(or_(
            and_(Case.withdrawn_on.is_(None), Case.withdrawal_proof.is_(None)),
            OutboxItem.id.startswith("ack:"),
        ))
        .order_by(OutboxItem.created_at, OutboxItem.id)
        .limit(size)
    )
    if after is not None:
        query = query.where(tuple_(OutboxItem.created_at, OutboxItem.id) > tuple_(*after))
    return [tuple(row) for row in db.session.execute(query)]
