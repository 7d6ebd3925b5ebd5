"""The provider's quarterly statistical return (DESIGN G5, G6 and section 7).

The answers DPS may see only in aggregate (police-connected, role group, equality monitoring)
are sealed with each referral, so only the console can count them, and only with a signed-in
manager's keys. This module opens the cases received in one completed quarter, counts each
answer into a one-way table, and protects every table with `app.disclosure.protect_one_way`
before anything can leave. The raw counts never leave this module's callers: the payload
holds protected tables only, and intake checks them against the same rules again.

Fixed categories (every code the form offers, "prefer_not", and "not_answered" for a
question left blank), so a table's shape never reveals which answers occurred. Cases the
referrer withdrew are left out: they asked for their referral to be deleted, and their
answers should not live on in a statistic.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import load_only

from app.console import audit
from app.console.cases import can_open
from app.console.intake_client import IntakeClient, IntakeRefused
from app.console.return_audit import audit_return
from app.disclosure import (
    DisclosureRules,
    Period,
    ProtectedTable,
    completed_periods,
    is_completed,
    protect_one_way,
)
from app.extensions import DbSession
from app.models.console import Advisor, AuditEntry, Case
from app.return_contract import NOT_ANSWERED, PROVIDER_TABLES
from crypto.envelope import open_record
from crypto.errors import CryptoError
from crypto.keys import PrivateKey

# The tables and their fixed categories are intake's own catalogue, so the console sends
# exactly the tables and codes intake accepts, and the words on both sides are the same.
CATEGORIES: dict[str, dict[str, str]] = {
    name: spec.categories for name, spec in PROVIDER_TABLES.items()
}
CAPTIONS = {name: spec.caption for name, spec in PROVIDER_TABLES.items()}
COUNTED_FROM_COLUMNS = ("other_routes", "outcomes")
# The sealed field behind every other table: "equality.sex" counts the answers to "sex".
ANSWER_FIELDS = {
    name: name.removeprefix("equality.")
    for name in PROVIDER_TABLES
    if name not in COUNTED_FROM_COLUMNS
}


class ReturnNotReady(Exception):
    """The return cannot be prepared now; the message says why, for the manager."""


class ReturnRefused(Exception):
    """Intake refused the return; the message is intake's own, for the manager."""


@dataclass(frozen=True)
class StatisticalReturn:
    period: Period
    rules: DisclosureRules
    tables: dict[str, ProtectedTable]
    cases_received: int  # for the manager's page only; never sent
    # What the audit of the tables read together withheld beyond each table's own rules, and
    # why (app.console.return_audit): for the manager's page only.
    withheld: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()

    def payload(self) -> dict[str, Any]:
        """Exactly what is sent to intake: protected tables, rules and the period, nothing else."""
        return {
            "period": self.period.label,
            "rules": {
                "threshold": self.rules.threshold,
                "rounding_base": self.rules.rounding_base,
            },
            "tables": {
                name: {"rows": dict(table.rows), "total": table.total}
                for name, table in self.tables.items()
            },
        }

    def digest(self) -> str:
        """Ties a submission to the preview the manager saw: any change means a new preview."""
        canonical = json.dumps(self.payload(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def url_label(period: Period) -> str:
    """'2025-26 Q1' as it goes in a URL: '2025-26-Q1'."""
    return period.label.replace(" ", "-")


def period_from_url(value: str) -> Period | None:
    """A quarter from its URL form, or None: returns are made per quarter only."""
    try:
        period = Period.from_label(value.replace("-Q", " Q", 1))
    except ValueError:
        return None
    return period if period.kind == "quarter" and url_label(period) == value else None


def rules_from_config(config: Mapping[str, Any]) -> DisclosureRules:
    return DisclosureRules(
        threshold=int(config.get("DISCLOSURE_THRESHOLD", 10)),
        rounding_base=int(config.get("DISCLOSURE_ROUNDING_BASE", 5)),
    )


def quarters_to_report(session: DbSession, today: date) -> list[Period]:
    """Completed quarters since the first case was received, newest first."""
    first = session.scalar(select(func.min(Case.received_on)))
    if first is None:
        return []
    return [p for p in reversed(completed_periods(today, first)) if p.kind == "quarter"]


def _count_answers(cases: Iterable[Case], keys: dict[str, PrivateKey]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {name: Counter() for name in ANSWER_FIELDS}
    unreadable = 0
    for case in cases:
        fields = _open(case, keys)
        if fields is None:
            unreadable += 1
            continue
        for name, field in ANSWER_FIELDS.items():
            counts[name][fields.get(field, "") or NOT_ANSWERED] += 1
    if unreadable:
        # Counting without them would send figures that are silently wrong.
        raise ReturnNotReady(
            f"{unreadable} case(s) received in the quarter do not open with the keys you hold. "
            "Give yourself access to every recipient key on the Team and keys page, then try again."
        )
    return counts


def _open(case: Case, keys: dict[str, PrivateKey]) -> dict[str, str] | None:
    if not can_open(case, keys):
        return None
    try:
        return open_record("referral", case.id, case.sealed, keys)
    except CryptoError:
        return None  # damaged: counted as unreadable, like a case without a grant


def _table(name: str, counts: Counter[str], rules: DisclosureRules) -> ProtectedTable:
    unknown = set(counts) - set(CATEGORIES[name])
    if unknown:
        raise ReturnNotReady(
            f"{sum(counts[v] for v in unknown)} case(s) have an answer to "
            f"‘{CAPTIONS[name]}’ that the return does not know, so it cannot be counted."
        )
    return protect_one_way({code: counts[code] for code in CATEGORIES[name]}, rules)


def count_quarter(
    session: DbSession, manager: Advisor, period: Period, keys: dict[str, PrivateKey]
) -> tuple[dict[str, Counter[str]], int]:
    """The true counts of every table, and how many cases were received (these never leave).

    Audited before any case is opened, so a run that fails half way is on record too.
    """
    # Withdrawn cases are left out throughout (see the module docstring).
    current = Case.withdrawn_on.is_(None)
    in_quarter = Case.received_on.between(period.start, period.end)
    received = list(
        session.scalars(
            select(Case)
            .options(load_only(Case.id, Case.source, Case.sealed))
            .where(current, in_quarter)
        )
    )
    audit.record(
        session,
        manager.email,
        "prepare_return",
        f"period:{period.label}",
        f"opening {len(received)} cases",
    )
    counts = _count_answers(received, keys)
    counts["other_routes"] = Counter(case.source for case in received)
    closed = session.scalars(
        select(Case.closure_reason).where(current, Case.closed_on.between(period.start, period.end))
    )
    counts["outcomes"] = Counter(reason or "" for reason in closed)
    return counts, len(received)


def prepare_return(
    session: DbSession,
    manager: Advisor,
    period: Period,
    today: date,
    keys: dict[str, PrivateKey],
    rules: DisclosureRules,
) -> StatisticalReturn:
    """Open every case received in a completed quarter and build its protected tables."""
    if period.kind != "quarter":
        raise ReturnNotReady("A return is made for a quarter.")
    if not is_completed(period, today):
        # A running count would move with each referral, which points at that referral.
        raise ReturnNotReady(f"{period.label} has not finished yet, so it has no return yet.")
    counts, received = count_quarter(session, manager, period, keys)
    tables = {name: _table(name, counts[name], rules) for name in CATEGORIES}
    # Read together, the tables can narrow each other (they share one total): the same audit
    # intake runs, over the return alone, so what leaves is what the manager sees here.
    audited = audit_return(period, tables, rules)
    return StatisticalReturn(
        period, rules, audited.tables, received, audited.withheld, audited.findings
    )


def submit_return(
    session: DbSession, manager: Advisor, prepared: StatisticalReturn, client: IntakeClient
) -> dict[str, Any]:
    """Send the protected tables to intake, which releases each period once (IntakeUnavailable
    passes through: nothing is known to have changed, so the manager simply tries again)."""
    subject = f"period:{prepared.period.label}"
    try:
        answer = client.put(f"/returns/{url_label(prepared.period)}", prepared.payload())
    except IntakeRefused as error:
        audit.record(session, manager.email, "submit_return_refused", subject, str(error.status))
        # Intake's message without the client's "intake refused the request: 409 code: ".
        raise ReturnRefused(str(error).split(f"{error.status} {error.code}: ", 1)[-1]) from None
    audit.record(session, manager.email, "submit_return", subject)
    return answer.body


def submitted_on(session: DbSession) -> dict[str, date]:
    """When each period's return was accepted, from the audit log (the console's own record)."""
    entries = session.execute(
        select(AuditEntry.subject, AuditEntry.at).where(AuditEntry.action == "submit_return")
    )
    return {subject.removeprefix("period:"): at.date() for subject, at in entries}
