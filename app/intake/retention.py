"""Retention at intake: what the police side keeps, and for how long (dpia/dpia.md section 9).

Four rules, each idempotent, run together by `flask retention purge` (daily, from cron):

1. delivered sealed content: the provider confirmed it, so intake's copy goes (G4). The
   delivery API already does this; the purge repeats it as a safety net.
2. undelivered referrals: never collected within INTAKE_UNDELIVERED_DAYS of receipt, deleted
   whole (the provider cannot be reached; the referral must not wait at intake for ever).
3. the referrer's link: the lookup id, the referrer's key and every message, once the provider
   has closed the case (after INTAKE_LINK_DAYS_AFTER_CLOSE, so the person can still read the
   last reply) or at the latest INTAKE_LINK_MAX_DAYS after receipt.
4. the stub: the content-free row, INTAKE_STUB_DAYS_AFTER_CLOSE after closing or withdrawal
   (long enough for every quarter and year it counts in to be released first), or at the
   latest INTAKE_MAX_DAYS after receipt. A withdrawal the provider has not yet been told of
   keeps its stub until then, short of the maximum.

`today` is passed in, so tests move the clock; the command passes the real date. The log line
holds counts only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, or_, select, update

from app.extensions import DbSession
from app.models.intake import Message, Referral
from app.workflow import FINISHED

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periods:
    """Days each rule waits; configured in app/config.py (intake_config)."""

    undelivered_days: int = 90
    link_days_after_close: int = 30
    link_max_days: int = 6 * 365
    stub_days_after_close: int = 400
    max_days: int = 7 * 365

    @classmethod
    def from_config(cls, config: Any) -> Periods:
        return cls(**{f.name: int(config.get(f"INTAKE_{f.name.upper()}", f.default))
                      for f in fields(cls)})


@dataclass(frozen=True)
class Purged:
    """How many of each were purged (counts only: they are all that is logged)."""

    sealed_copies: int = 0
    undelivered: int = 0
    links: int = 0
    stubs: int = 0

    def describe(self) -> str:
        return (f"{self.sealed_copies} delivered sealed copies, {self.undelivered} undelivered "
                f"referrals, {self.links} referrer links, {self.stubs} referral stubs")


def _ids(session: DbSession, query: Select[Any]) -> list[str]:
    return list(session.scalars(query))


def _delete_referrals(session: DbSession, ids: list[str]) -> None:
    if ids:
        session.execute(delete(Message).where(Message.referral_id.in_(ids)),
                        execution_options={"synchronize_session": False})
        session.execute(delete(Referral).where(Referral.id.in_(ids)),
                        execution_options={"synchronize_session": False})


def purge_delivered_copies(session: DbSession) -> int:
    """Rule 1: sealed copies the provider has confirmed (normally none are left)."""
    referrals = session.execute(
        update(Referral)
        .where(Referral.delivered_on.is_not(None), Referral.sealed.is_not(None))
        .values(sealed=None),
        execution_options={"synchronize_session": False},
    )
    messages = session.execute(
        update(Message)
        .where(Message.delivered_on.is_not(None), Message.sealed_for_provider.is_not(None))
        .values(sealed_for_provider=None),
        execution_options={"synchronize_session": False},
    )
    return int(referrals.rowcount or 0) + int(messages.rowcount or 0)  # type: ignore[attr-defined]


def purge_undelivered(session: DbSession, today: date, periods: Periods) -> int:
    """Rule 2: referrals the provider never collected."""
    ids = _ids(session, select(Referral.id).where(
        Referral.delivered_on.is_(None),
        Referral.status == "received",
        Referral.received_on < today - timedelta(days=periods.undelivered_days),
    ))
    _delete_referrals(session, ids)
    return len(ids)


def _finished_before(day: date) -> ColumnElement[bool]:
    return and_(Referral.status.in_(FINISHED), Referral.closed_on.is_not(None),
                Referral.closed_on < day)


def purge_links(session: DbSession, today: date, periods: Periods) -> int:
    """Rule 3: the lookup id, the referrer's key and the messages, once the case is over."""
    due = or_(
        _finished_before(today - timedelta(days=periods.link_days_after_close)),
        Referral.received_on < today - timedelta(days=periods.link_max_days),
    )
    has_link = or_(
        Referral.lookup_id.is_not(None),
        Referral.referrer_public_key.is_not(None),
        Referral.id.in_(select(Message.referral_id)),
    )
    ids = _ids(session, select(Referral.id).where(due, has_link))
    if ids:
        session.execute(delete(Message).where(Message.referral_id.in_(ids)),
                        execution_options={"synchronize_session": False})
        session.execute(
            update(Referral).where(Referral.id.in_(ids))
            .values(lookup_id=None, referrer_public_key=None),
            execution_options={"synchronize_session": False},
        )
    return len(ids)


def purge_stubs(session: DbSession, today: date, periods: Periods) -> int:
    """Rule 4: the content-free row, once every period it counts in has been released."""
    told = or_(Referral.status != "withdrawn", Referral.delivered_on.is_(None))
    ids = _ids(session, select(Referral.id).where(or_(
        and_(_finished_before(today - timedelta(days=periods.stub_days_after_close)), told),
        Referral.received_on < today - timedelta(days=periods.max_days),
    )))
    _delete_referrals(session, ids)
    return len(ids)


def purge(session: DbSession, today: date, periods: Periods) -> Purged:
    """Apply every rule in one transaction; running it again the same day purges nothing."""
    purged = Purged(
        sealed_copies=purge_delivered_copies(session),
        undelivered=purge_undelivered(session, today, periods),
        links=purge_links(session, today, periods),
        stubs=purge_stubs(session, today, periods),
    )
    session.commit()
    log.info("retention purge on %s: %s", today.isoformat(), purged.describe())
    return purged
