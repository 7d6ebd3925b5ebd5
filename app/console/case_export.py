"""Export of one case: the decrypted referral, messages, notes and workflow dates (DESIGN 6).

An export is a decryption that leaves the console, so every one is audited (G8) and the
response is an attachment that no cache may keep. JSON is for moving a case to another
system; plain text is for reading or printing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from app.console import audit
from app.console.cases import short_reference
from app.console.casework import Keys, Shown, answer_sections, notes, thread
from app.extensions import DbSession
from app.models.console import Advisor, Case
from app.workflow import CLOSURE_REASONS, EVENTS
from crypto.envelope import open_record

Format = Literal["json", "text"]
WORKFLOW = (
    ("received_on", "Received"),
    *((event.column, event.heading) for event in EVENTS.values()),
    ("withdrawn_on", "Withdrawn by the referrer"),
    ("purge_after", "To be deleted after"),
)


@dataclass(frozen=True)
class Export:
    filename: str
    mimetype: str
    body: str


def _day(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def as_dict(case: Case, fields: dict[str, str], keys: Keys) -> dict[str, Any]:
    """Everything the console holds on one case, opened with `keys` (also the subject access
    export's base: app/console/subject_access.py)."""
    def written(items: list[Shown]) -> list[dict[str, Any]]:
        return [
            {"author": item.author, "on": _day(item.on),
             "body": item.body if item.body is not None else "[sealed to a key you do not hold]"}
            for item in items
        ]

    return {
        "case": {
            "id": case.id,
            "reference": short_reference(case.id),
            "source": case.source,
            "service": case.service,
            "status": case.status,
            "assigned_to": case.assignee.name if case.assignee else None,
            "urgent": case.urgent,
            "closure_reason": case.closure_reason,
        },
        "workflow": {name: _day(getattr(case, name)) for name, _ in WORKFLOW},
        "answers": [
            {"section": section.heading, "field": a.field, "question": a.question,
             "answer": a.answer, "value": a.value}
            for section in answer_sections(fields)
            for a in section.answers
        ],
        "messages": written(thread(case, keys)),
        "notes": written(notes(case, keys)),
    }


def _as_text(data: dict[str, Any]) -> str:
    case = data["case"]
    lines = [f"Case {case['reference']} ({case['id']})", ""]
    lines += [f"Source: {case['source']}", f"Service: {case['service']}",
              f"Status: {case['status']}", f"Assigned to: {case['assigned_to'] or 'nobody'}"]
    for name, label in WORKFLOW:
        lines.append(f"{label}: {data['workflow'][name] or '-'}")
    if case["closure_reason"]:
        lines.append(f"Closure reason: {CLOSURE_REASONS.get(case['closure_reason'], '')}")
    section = None
    for answer in data["answers"]:
        if answer["section"] != section:
            section = answer["section"]
            lines += ["", f"== {section} =="]
        lines.append(f"{answer['question']}: {answer['answer']}")
    for heading, key in (("Messages", "messages"), ("Notes", "notes")):
        lines += ["", f"== {heading} =="]
        if not data[key]:
            lines.append("None")
        for item in data[key]:
            lines += [f"[{item['on']}] {item['author']}", item["body"], ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def export_case(
    session: DbSession, advisor: Advisor, case: Case, keys: Keys, fmt: Format
) -> Export:
    fields = open_record("referral", case.id, case.sealed, keys)
    data = as_dict(case, fields, keys)
    audit.record(session, advisor.email, "export_case", f"case:{case.id}", fmt)
    name = f"case-{short_reference(case.id)}"
    if fmt == "json":
        return Export(f"{name}.json", "application/json",
                      json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    return Export(f"{name}.txt", "text/plain", _as_text(data))
