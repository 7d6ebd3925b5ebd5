"""What an advisor reads and writes on a case: the answers, the messages, the notes.

Everything written here is sealed before it reaches the database session, to the newest
recipient key (the console's database at rest opens nothing, G2); a reply is also sealed to
the referrer's own key, which is the copy intake passes on. Answers are shown with the
intake form's own question and choice words, so the two never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.exc import IntegrityError
from wtforms import Field

from app.authenticity import prove_message
from app.console import audit, origin_checks
from app.console.cases import Sealed, date_event, queue_reply
from app.extensions import DbSession
from app.models.base import random_id
from app.models.console import Advisor, Case, CaseMessage, CaseNote
from app.questionnaire import journey
from app.workflow import FIRST_CONTACT
from crypto.envelope import (
    REFERRAL_FORMAT_VERSION,
    ReferrerBinding,
    envelope_version,
    open_record,
    seal_record,
)
from crypto.errors import CryptoError, DecryptionError
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
    """Every sealed answer under its question page's heading, unanswered ones included,
    except the empty answers to questions the referrer was never asked (the contact details
    of someone who chose to come back with their phrase): rows of "Not answered" for
    questions nobody put to them would only mislead. An answer that has a value is always
    shown, whatever the other answers say."""
    sections = []
    for step in journey.STEPS:
        asked = [
            name for name in step.field_names()
            if fields.get(name) or (step.applies(fields) and step.asks(name, fields))
        ]
        if not asked:
            continue
        # No form data and no CSRF: the form is only asked for its words.
        form = step.form(formdata=None, meta={"csrf": False})
        answers = [
            Answer(name, str(form[name].label.text), _shown(form[name], fields.get(name, "")),
                   fields.get(name, ""))
            for name in asked
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


def thread(case: Case, keys: Keys, verdicts: dict[str, bool] | None = None) -> list[Shown]:
    """The conversation, without any referrer message whose proof of origin fails (G2).

    `verdicts` (from origin_checks.genuine_messages) saves opening the envelope again when the
    caller has already checked the proofs."""
    if verdicts is None:
        verdicts = origin_checks.genuine_messages(case, origin_checks.binding_of(case, keys))
    shown = []
    for message in case.messages:
        if message.author == "referrer" and not verdicts.get(message.id, False):
            continue
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
    """Only a v2 online referral carries the referrer's reply key and auth key (G2): a v1
    one, made before replies were authenticated, cannot be answered through intake."""
    if case.source != "online" or case.status == "closed" or case.withdrawn_on is not None:
        return False
    try:
        return envelope_version(case.sealed) >= REFERRAL_FORMAT_VERSION
    except CryptoError:
        return False


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


def _next_sequence(session: DbSession, case_id: str) -> int:
    """The reply's place among the provider's replies on this case (the case row is locked)."""
    latest = session.scalar(
        select(func.coalesce(func.max(CaseMessage.sequence), 0)).where(
            CaseMessage.case_id == case_id, CaseMessage.author == "advisor"
        )
    )
    return int(latest or 0) + 1


def send_reply(
    session: DbSession,
    advisor: Advisor,
    case: Case,
    text: str,
    recipient: PublicKey,
    on: date,
    referrer: ReferrerBinding,
) -> CaseMessage:
    """Seal the reply twice (the referrer's copy for intake, ours), store ours, queue theirs.

    The referrer's copy is sealed to the key inside the referral's envelope and carries the
    provider's proof of origin, so the status page shows it and nothing an insider wrote.
    For a referrer who gave no contact details, the first reply is the first contact
    attempt: it is dated as one, so the first-contact KPI measures them too.
    """
    if not can_reply(case):
        raise ValueError("this case takes no replies")
    case_id, reply_id = case.id, random_id()
    for_referrer = seal_record("message", reply_id, {"body": text}, referrer.public_key)
    ours = seal_record("message", reply_id, {"body": text}, recipient)
    for attempt in range(1, REPLY_ATTEMPTS + 1):
        try:
            position = next_position(session, case_id)  # locks the case row first
            sequence = _next_sequence(session, case_id)
            proof = prove_message(
                referrer.auth_key, "provider", referral_id=case_id, sequence=sequence,
                message_id=reply_id, sent_on=on, sealed=for_referrer,
            )
            message = CaseMessage(
                id=reply_id, case_id=case_id, position=position, author="advisor",
                advisor_id=advisor.id, sent_on=on, sealed=ours, sequence=sequence, proof=proof,
            )
            session.add(message)
            queue_reply(session, case, reply_id, Sealed(for_referrer, sequence, proof), on)
            first_contact = case.contactable is False and case.first_contact_on is None
            if first_contact:
                date_event(session, case, FIRST_CONTACT, on)
            session.commit()
            break
        except IntegrityError:
            # Another writer that does not lock the case took the place first (the unique
            # (case_id, position) refused ours): once more, with the thread as it is now.
            session.rollback()
            if attempt == REPLY_ATTEMPTS:
                raise
    audit.record(session, advisor.email, "send_reply", f"case:{case_id}", f"reply:{reply_id}")
    if first_contact:
        audit.record(session, advisor.email, "case_event", f"case:{case_id}",
                     f"{FIRST_CONTACT} on {on.isoformat()} (first reply)")
    return message
