"""Checking, with an advisor's keys, that what came through intake was made by the phrase holder.

The sync holds no key, so it can only store what intake sends. The proofs on referrers'
messages and withdrawals (app/authenticity.py) are checked here, the first time someone with a
key to the case looks: a message that fails is never shown, a withdrawal that fails never
touches the case, and each failure is audited once and listed on the sync page (G2, G9).
The key the checks use comes from inside the referral's own envelope (v2), never from a
column intake could have written.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlalchemy import func, select, update

from app.authenticity import message_is_genuine, withdrawal_is_genuine
from app.console import audit
from app.console.cases import can_open
from app.console.sync_store import withdrawal_retention_days
from app.extensions import DbSession
from app.models.console import Case
from crypto.envelope import ReferrerBinding, open_envelope
from crypto.errors import DecryptionError
from crypto.keys import PrivateKey

log = logging.getLogger(__name__)
Keys = dict[str, PrivateKey]
REFUSED = "sync_refused"  # the action the sync page lists


def binding_of(case: Case, keys: Keys) -> ReferrerBinding | None:
    """The referrer's reply key and auth key sealed in the case's envelope; None for a manual
    case, a v1 envelope (made before proofs) or keys that do not open it."""
    if case.source != "online" or not can_open(case, keys):
        return None
    try:
        return open_envelope("referral", case.id, case.sealed, keys).referrer
    except DecryptionError:
        return None


def genuine_messages(case: Case, binding: ReferrerBinding | None) -> dict[str, bool]:
    """For each of the referrer's messages on the case: does its proof verify?"""
    return {
        message.id: binding is not None and message_is_genuine(
            binding.auth_key, "referrer", message.proof, message.sequence,
            referral_id=case.id, message_id=message.id, sent_on=message.sent_on,
            sealed=message.sealed,
        )
        for message in case.messages
        if message.author == "referrer"
    }


def record_message_checks(
    session: DbSession, actor: str, case: Case, verdicts: dict[str, bool]
) -> int:
    """Remember the first verdict on each message and audit each failure once; count failures."""
    refused = 0
    for message in case.messages:
        verdict = verdicts.get(message.id)
        if verdict is None:
            continue
        refused += not verdict
        if message.genuine is None:
            message.genuine = verdict
            if not verdict:
                audit.append(session, actor, REFUSED, f"case:{case.id}",
                             "message: its proof of origin does not verify; not shown")
                log.warning("a referrer message failed its proof and is not shown")
    session.commit()
    return refused


def settle_withdrawals(session: DbSession, actor: str, keys: Keys, today: date) -> int:
    """Check every withdrawal claim on cases these keys open; act only on a genuine one.

    A genuine withdrawal marks the case withdrawn on its proven day and keeps it for the full
    withdrawal retention from today; it never brings a purge forward. Returns how many settled.
    """
    claims = session.scalars(
        select(Case).where(Case.withdrawal_proof.is_not(None), Case.withdrawn_on.is_(None))
    ).all()
    settled = 0
    for case in claims:
        if not can_open(case, keys) or case.withdrawal_claimed_on is None:
            continue  # someone with a key to this case will settle it
        binding = binding_of(case, keys)
        genuine = binding is not None and withdrawal_is_genuine(
            binding.auth_key, case.withdrawal_proof, referral_id=case.id,
            withdrawn_on=case.withdrawal_claimed_on,
        )
        if genuine:
            keep_until = today + timedelta(days=withdrawal_retention_days())
            session.execute(
                update(Case).where(Case.id == case.id).values(
                    withdrawn_on=case.withdrawal_claimed_on,
                    purge_after=func.coalesce(Case.purge_after, keep_until),
                )
            )
            audit.append(session, actor, "withdrawal_verified", f"case:{case.id}")
        else:
            why = "its proof does not verify" if binding else "the referral carries no proof key"
            audit.append(session, actor, REFUSED, f"case:{case.id}",
                         f"withdrawal: {why}; the case is unchanged")
            log.warning("a withdrawal from intake failed its proof; the case is unchanged")
        session.execute(
            update(Case).where(Case.id == case.id)
            .values(withdrawal_claimed_on=None, withdrawal_proof=None)
        )
        settled += 1
    session.commit()
    session.expire_all()
    return settled
