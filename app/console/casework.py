"""What an advisor reads and writes on a case: the answers, the messages, the notes.

Everything written here is sealed before it reaches the database session, to the newest
recipient key (the console's database at rest opens nothing, G2); a reply is also sealed to
the referrer's own key, which is the copy intake passes on. Answers are shown with the
intake form's own question and choice words, so the two never drift apart.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.exc import IntegrityError
from wtforms import Field

from app.console import audit
from app.console.cases import queue_reply
from app.extensions import DbSession
from app.models.base import random_id
from app.models.console import Advisor, Case, CaseMessage, CaseNote
from app.questionnaire import journey
from crypto.envelope import open_record, seal_record
from crypto.errors import DecryptionError
from crypto.keys import PrivateKey, PublicKey

Keys = dict[str, PrivateKey]
REPLY_ATTEMPTS = 2  # a lost race for a thread position is retried once


@dataclass(frozen=True)
class Answer:
    field: str
    question: str
    answer: str  # the words shown
    value: str  # as sealed


@dataclass(frozen=True)
class Section:
    heading: str
    answers: list[Answer]


def _shown(field: Field, value: str) -> str:
    if not value:
        return "Not answered"
    if field.type == "BooleanField":
        return "Yes" if value == "yes" else value
    labels = {choice.value: choice.label for choice in getattr(field, "choices", None) or []}
    if field.type == "Flags":
        return "; ".join(labels.get(v, v) for v in value.split(","))
    return labels.get(value, value)


def answer_sections(fields: dict[str, str]) -> list[Section]:
    """Every sealed answer under its question page's heading, unanswered ones included."""
    sections = []
    for step in journey.STEPS:
        # No form data and no CSRF: the form is only asked for its words.
        form = step.form(formdata=None, meta={"csrf": False})
        answers = [
            Answer(name, str(form[name].label.text), _shown(form[name], fields.get(name, "")),
                   fields.get(name, ""))
            for name in step.field_names()
        ]
        sections.append(Section(step.heading, answers))
    # A field from a newer form version is still shown, under its own name.
    extra = sorted(set(fields) - set(journey.SEALED_FIELDS))
    if extra:
        sections.append(
            Section("Other answers", [Answer(n, n, fields[n] or "Not answered", fields[n])
                                      for n in extra])
        )
    return sections


@dataclass(frozen=True)
class Shown:
    """A message or note as the page shows it; body None when no key held opens it."""

    id: str
    author: str
    on: date | datetime
    body: str | None


def thread(case: Case, keys: Keys) -> list[Shown]:
    shown = []
    for message in case.messages:
        try:
            body: str | None = open_record("message", message.id, message.sealed, keys)["body"]
        except (DecryptionError, KeyError):
            body = None
        shown.append(Shown(message.id, message.author, message.sent_on, body))
    return shown


def notes(case: Case, keys: Keys) -> list[Shown]:
    shown = []
    for note in case.notes:
        try:
            body: str | None = open_record("note", note.id, note.sealed, keys)["body"]
        except (DecryptionError, KeyError):
            body = None
        shown.append(Shown(note.id, note.author.name, note.written_at, body))
    return shown


def add_note(
    session: DbSession, advisor: Advisor, case: Case, text: str, recipient: PublicKey
) -> CaseNote:
    note_id = random_id()
    note = CaseNote(
        id=note_id,
        case_id=case.id,
        author_id=advisor.id,
        sealed=seal_record("note", note_id, {"body": text}, recipient),
    )
    session.add(note)
    session.commit()
    audit.record(session, advisor.email, "add_note", f"case:{case.id}", f"note:{note_id}")
    return note


def can_reply(case: Case) -> bool:
    """Only the online form gives the referrer a key (and intake a referral to reply on)."""
    return (
        case.source == "online"
        and case.referrer_public_key is not None
        and case.status != "closed"
        and case.withdrawn_on is None
    )


def next_position(session: DbSession, case_id: str) -> ScalarSelect[int]:
    """The next place in the case's thread, worked out inside the INSERT itself, as the sync
    does. The case row is locked first, as the sync locks it, until the commit: on PostgreSQL
    that makes the two wait for each other; SQLite locks the whole file for the INSERT."""
    session.execute(select(Case.id).where(Case.id == case_id).with_for_update())
    return (
        select(func.coalesce(func.max(CaseMessage.position), 0) + 1)
        .where(CaseMessage.case_id == case_id)
        .scalar_subquery()
    )


def send_reply(
    session: DbSession,
    advisor: Advisor,
    case: Case,
    text: str,
    recipient: PublicKey,
    on: date,
) -> CaseMessage:
    """Seal the reply twice (the referrer's copy for intake, ours), store ours, queue theirs."""
    if not can_reply(case) or case.referrer_public_key is None:
        raise ValueError("this case takes no replies")
    case_id, reply_id = case.id, random_id()
    for_referrer = seal_record(
        "message", reply_id, {"body": text}, PublicKey.from_bytes(case.referrer_public_key)
    )
    ours = seal_record("message", reply_id, {"body": text}, recipient)
    for attempt in range(1, REPLY_ATTEMPTS + 1):
        try:
            message = CaseMessage(
                id=reply_id, case_id=case_id, position=next_position(session, case_id),
                author="advisor", advisor_id=advisor.id, sent_on=on, sealed=ours,
            )
            session.add(message)
            queue_reply(session, case, reply_id, base64.b64encode(for_referrer).decode(), on)
            session.commit()
            break
        except IntegrityError:
            # Another writer that does not lock the case took the place first (the unique
            # (case_id, position) refused ours): once more, with the thread as it is now.
            session.rollback()
            if attempt == REPLY_ATTEMPTS:
                raise
    audit.record(session, advisor.email, "send_reply", f"case:{case_id}", f"reply:{reply_id}")
    return message
