"""Referrals that reach the provider by phone or email, recorded by an advisor (DESIGN 6).

They are sealed exactly like an online referral: the same kind, the case id as record id and
the full fixed set of field names (empty when unanswered), so at rest a manual case cannot be
told from an online one by its envelope. They never existed at intake, so nothing about them
is ever pushed there.
"""

from __future__ import annotations

from datetime import date

from app.console import audit
from app.extensions import DbSession
from app.models.base import random_id
from app.models.console import Advisor, Case
from app.questionnaire import journey
from crypto.envelope import seal_record
from crypto.keys import PublicKey


def create_manual_case(
    session: DbSession,
    advisor: Advisor,
    *,
    source: str,
    received_on: date,
    answers: dict[str, str],
    recipient: PublicKey,
) -> Case:
    if source not in ("phone", "email"):
        raise ValueError("a manual case came by phone or by email")
    case_id = random_id()
    fields = {name: answers.get(name, "") for name in journey.SEALED_FIELDS}
    case = Case(
        id=case_id,
        source=source,
        service=fields["service"],
        received_on=received_on,
        status="new",
        sealed=seal_record("referral", case_id, fields, recipient),
        # Known now, unlike a synced case whose urgency is learnt when first opened.
        urgent=bool(fields["urgency"]),
        contactable=True,  # they phoned or wrote: there is a way back to them
    )
    session.add(case)
    session.commit()
    audit.record(session, advisor.email, "add_case", f"case:{case_id}", f"source:{source}")
    return case
