"""Cases for the casework tests, made the way sync stores them: sealed referrals on clear dates."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from app.authenticity import prove_message
from app.extensions import console_db
from app.models.base import ConsoleBase, random_id
from app.models.console import AuditEntry, Case, CaseMessage
from app.questionnaire import journey
from crypto.envelope import ReferrerBinding, seal_record
from crypto.keys import PRIVATE_KEY_SIZE, PrivateKey, PublicKey
from crypto.proofs import Direction

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

ANSWERS: dict[str, str] = dict.fromkeys(journey.SEALED_FIELDS, "") | {
    "service": "isva",
    "contact_method": "details",
    "phone": "07700 900982",
    "email": "safe@example.org",
    "safe_to_call": "yes",
    "safe_times": "Weekdays 10 to 2",
    "voicemail": "first_name",
    "name": "Sam",
    "role_group": "staff",
    "police_connected": "yes",
    "account": "It started last year.",
    "urgency": "urgent,safety",
    "consent": "yes",
    "ethnicity": "white_irish",
}


def make_case(
    app: Flask,
    recipient: PublicKey,
    *,
    received_on: date = date(2024, 3, 4),
    fields: dict[str, str] | None = None,
    referrer: PrivateKey | None = None,
    case_id: str | None = None,
    legacy: bool = False,
    **columns: Any,
) -> str:
    """A case as sync would store it, sealed to `recipient`; returns its id.

    The envelope is version 2, as the form makes it: it carries the reply key of `referrer`
    (or of `referrer_of(case_id)`) and the auth key `auth_key_of(case_id)`. `legacy` makes
    a version 1 envelope, as referrals made before proofs were sealed.
    """
    case_id = case_id or random_id()
    fields = ANSWERS | (fields or {})
    reply_key = (referrer or referrer_of(case_id)).public_key
    binding = None if legacy else ReferrerBinding(reply_key, auth_key_of(case_id))
    with app.app_context():
        console_db.session.add(
            Case(
                id=case_id,
                service=columns.pop("service", fields["service"]),
                received_on=received_on,
                sealed=seal_record("referral", case_id, fields, recipient, referrer=binding),
                **columns,
            )
        )
        console_db.session.commit()
    return case_id


def referrer_of(case_id: str) -> PrivateKey:
    """The reply key of a test case's referrer, when the test names none."""
    seed = hashlib.shake_256(b"test reply key " + case_id.encode()).digest(PRIVATE_KEY_SIZE)
    return PrivateKey.from_seed(seed)


def auth_key_of(case_id: str) -> bytes:
    """The auth key a test case's referrer shares with the provider (see make_case)."""
    return hashlib.sha256(b"test auth key " + case_id.encode()).digest()


def post_form(
    client: FlaskClient, page: str, data: dict[str, Any], to: str | None = None
) -> TestResponse:
    """GET the page for its CSRF token, then POST the form (to `to`, or back to the page)."""
    html = client.get(page).get_data(as_text=True)
    match = CSRF.search(html)
    assert match, f"no CSRF token on {page}"
    return client.post(to or page, data={**data, "csrf_token": match.group(1)})


def date_fields(name: str, day: date) -> dict[str, list[str]]:
    """A GOV.UK date input posts three values under one name: day, month, year."""
    return {name: [str(day.day), str(day.month), str(day.year)]}


class Today:
    """The console's idea of today, fixed by a test (the SLA and date checks use it)."""

    def __init__(self, monkeypatch: Any) -> None:
        self.monkeypatch = monkeypatch
        self.set(date(2024, 3, 6))

    def set(self, day: date) -> None:
        self.monkeypatch.setattr("app.console.sla.today", lambda: day)


def add_message(
    app: Flask, recipient: PublicKey, case_id: str, body: str, *, author: str = "referrer",
    position: int = 1, sent_on: date = date(2024, 3, 5), sequence: int | None = None,
    proven: bool = True,
) -> str:
    """A referrer's message as sync stores it: sealed to the provider's recipient key, with
    the phrase holder's proof (`proven=False`: with a proof made under the wrong key)."""
    message_id = random_id()
    sequence = sequence or position
    sealed = seal_record("message", message_id, {"body": body}, recipient)
    auth_key = auth_key_of(case_id) if proven else bytes(32)
    direction: Direction = "referrer" if author == "referrer" else "provider"
    proof = prove_message(
        auth_key, direction, referral_id=case_id, sequence=sequence, message_id=message_id,
        sent_on=sent_on, sealed=sealed,
    )
    with app.app_context():
        console_db.session.add(
            CaseMessage(
                id=message_id, case_id=case_id, position=position, author=author, sent_on=sent_on,
                sealed=sealed, sequence=sequence, proof=proof,
            )
        )
        console_db.session.commit()
    return message_id


def audit_entries(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(
            console_db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
            )
        )


def csrf_token(client: FlaskClient) -> str:
    """A CSRF token of this client's session (tokens are per session, not per form)."""
    match = CSRF.search(client.get("/cases/new").get_data(as_text=True))
    assert match, "no CSRF token on the add-a-case page"
    return match.group(1)


def found_in_database(app: Flask, marker: str) -> list[str]:
    """Every table.column holding `marker` in clear (text or bytes), and the SQLite file itself."""
    needle = marker.encode()
    found = []
    with app.app_context():
        for table in ConsoleBase.metadata.sorted_tables:
            for row in console_db.session.execute(select(table)).mappings():
                for column, value in row.items():
                    raw = value.encode() if isinstance(value, str) else value
                    if isinstance(raw, bytes | memoryview) and needle in bytes(raw):
                        found.append(f"{table.name}.{column}")
        url = console_db.engine.url
        if url.get_backend_name() == "sqlite" and url.database:
            console_db.session.remove()
            console_db.engine.dispose()  # flush everything out of the WAL into the file
            for path in (Path(url.database), Path(url.database + "-wal")):
                if path.exists() and needle in path.read_bytes():
                    found.append(str(path))
    return found
