"""A subject access export: a copy, for the referrer, of everything held about them (UK GDPR
Art. 15; dpia/dpia.md section 10).

It starts from the case export (`case_export.as_dict`) and adds what a person asking for
their data is owed beyond it: the words addressed to them, the provider's policy on case
notes, how long each part is kept, and what the police-hosted intake still holds about the
referral. That last part comes from the console's own knowledge (the case's source, dates
and status, and intake's published retention periods); the console never asks intake, so
the export cannot become a way to query the police side. Audited without content (G8).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from app.console import audit
from app.console.case_export import WORKFLOW, Export, as_dict
from app.console.cases import short_reference
from app.console.casework import Keys
from app.extensions import DbSession
from app.models.console import Advisor, Case
from app.workflow import CLOSURE_REASONS, SERVICES
from crypto.envelope import open_record

SOURCES = {"online": "the website", "phone": "a phone call", "email": "an email"}
STATUSES = {"new": "Not yet opened", "open": "Open", "closed": "Closed"}


@dataclass(frozen=True)
class Policy:
    """What the provider has decided, and the periods both sides keep things (in days)."""

    provider: str
    includes_notes: bool
    days_after_close: int
    link_days_after_close: int
    link_max_days: int
    stub_days_after_close: int
    intake_max_days: int

    @classmethod
    def from_config(cls, config: Any) -> Policy:
        return cls(
            provider=str(config["PROVIDER_NAME"]),
            includes_notes=bool(config["SUBJECT_ACCESS_INCLUDES_NOTES"]),
            days_after_close=int(config["RETENTION_DAYS_AFTER_CLOSE"]),
            link_days_after_close=int(config["INTAKE_LINK_DAYS_AFTER_CLOSE"]),
            link_max_days=int(config["INTAKE_LINK_MAX_DAYS"]),
            stub_days_after_close=int(config["INTAKE_STUB_DAYS_AFTER_CLOSE"]),
            intake_max_days=int(config["INTAKE_MAX_DAYS"]),
        )


def _by(ended: date | None, after: int, received: date, at_most: int) -> date:
    """The earlier of `after` days from the end and `at_most` days from receipt."""
    latest = received + timedelta(days=at_most)
    return min(ended + timedelta(days=after), latest) if ended else latest


def intake_holdings(case: Case, policy: Policy, today: date) -> list[str]:
    """What intake still holds about this case, in plain words, from what the console knows."""
    if case.source != "online":
        return [f"You contacted us by {SOURCES.get(case.source, case.source)}, not through the "
                "website. The website holds nothing about this case."]
    ended = case.closed_on or case.withdrawn_on
    link_gone = (
        case.withdrawn_on
        or _by(ended, policy.link_days_after_close, case.received_on, policy.link_max_days)
    )
    stub_gone = _by(ended, policy.stub_days_after_close, case.received_on,
                    policy.intake_max_days)
    lines = ["The website is run by the police. It cannot read what you wrote: we deleted "
             "its locked copy of your referral when we collected it."]
    if link_gone > today:
        lines.append(
            "Until about " + link_gone.isoformat() + " it keeps a code made from your reference "
            "phrase, and locked copies of the messages so that you can read them. Only your "
            "phrase can unlock them.")
    else:
        lines.append("It has deleted the code made from your reference phrase and its locked "
                     "copies of the messages.")
    if stub_gone > today:
        lines.append(
            "Until about " + stub_gone.isoformat() + " it keeps a record with no content: a "
            "random number for your referral, the kind of support, its status, the dates in "
            "this copy, whether it was urgent and why it closed. The police use it only to "
            "count referrals. They never see any one referral.")
    else:
        lines.append("It has deleted its record of your referral.")
    return lines


def _keeping(case: Case, policy: Policy) -> str:
    if case.purge_after:
        return f"We will delete this case after {case.purge_after.isoformat()}."
    years = round(policy.days_after_close / 365)
    return (f"We keep a case for up to {years} years after it closes, or less if you did not "
            "take up support. Then we delete it.")


def _as_text(data: dict[str, Any], case: Case, policy: Policy, today: date) -> str:
    head = data["case"]
    lines = [
        f"Your information held by {policy.provider}",
        f"Case {head['reference']}, copy made on {today.isoformat()}",
        "",
        "This is a copy of everything we hold about you for this case. You asked for it under "
        "your right of access. If anything is wrong, tell us and we will correct it.",
        "",
        "== Your case ==",
        f"How you contacted us: {SOURCES.get(head['source'], head['source'])}",
        f"Support: {SERVICES.get(head['service'], head['service'])}",
        f"Status: {STATUSES.get(head['status'], head['status'])}",
        f"Your advisor: {head['assigned_to'] or 'not yet chosen'}",
        f"Marked urgent: {'yes' if head['urgent'] else 'no'}",
    ]
    lines += [f"{label}: {data['workflow'][name] or '-'}" for name, label in WORKFLOW]
    if head["closure_reason"]:
        lines.append(f"Why it closed: {CLOSURE_REASONS.get(head['closure_reason'], '')}")
    lines += ["", "== What you told us =="]
    lines += [f"{a['question']}: {a['answer']}" for a in data["answers"]] or ["Nothing"]
    lines += ["", "== Messages =="]
    for item in data["messages"]:
        who = "You" if item["author"] == "referrer" else "Your advisor"
        lines += [f"[{item['on']}] {who}", item["body"], ""]
    if not data["messages"]:
        lines += ["None", ""]
    lines.append("== Case notes ==")
    if not policy.includes_notes:
        lines += [f"Our policy is not to include case notes in this copy. We hold "
                  f"{len(data['notes'])}. Ask us if you want to know why.", ""]
    else:
        for item in data["notes"]:
            lines += [f"[{item['on']}] {item['author']}", item["body"], ""]
        if not data["notes"]:
            lines += ["None", ""]
    lines += ["== How long we keep it ==", _keeping(case, policy), ""]
    lines += ["== What the police-hosted website holds ==", *intake_holdings(case, policy, today)]
    return "\n".join(lines).rstrip("\n") + "\n"


def export_for_referrer(
    session: DbSession, advisor: Advisor, case: Case, keys: Keys, policy: Policy, today: date
) -> Export:
    """The referrer's copy, as plain text; the audit entry says only whether notes were in it."""
    fields = open_record("referral", case.id, case.sealed, keys)
    text = _as_text(as_dict(case, fields, keys), case, policy, today)
    audit.record(session, advisor.email, "subject_access_export", f"case:{case.id}",
                 "notes included" if policy.includes_notes else "notes withheld by policy")
    return Export(f"your-information-{short_reference(case.id)}.txt", "text/plain", text)
