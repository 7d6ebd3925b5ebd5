"""G9 Nothing lost: a referral is stored whole and its phrase shown, or not stored at all and
the person told to try again with everything they typed still there.

The database is made to fail for real: at the moment the referral (or message) is written,
the connection it is written on is closed under SQLAlchemy's feet (SQLite) or terminated by
the server (PostgreSQL), so the application meets a genuine dead connection, not a mock.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event

from app.extensions import intake_db
from app.models.intake import Referral
from crypto.envelope import open_record
from crypto.phrase import derive_referrer_secrets
from tests.referrer import FULL_ANSWERS

# What the person typed, as the check-your-answers page must still show it after a failure.
TYPED = [
    "Sam",
    "07700 900982",
    "safe@example.org",
    "Weekdays 10 to 2",
    "Say wrong number",
    "It started last year.",
    "Large print",
]


@dataclass
class Fault:
    """Where the database breaks, and whether a request actually got there."""

    table: str
    at: str  # "insert": the INSERT itself fails; "commit": the INSERT runs, the COMMIT fails
    tripped: list[str] = field(default_factory=list)


def _kill(connection: sa.Connection) -> None:
    """End the real database connection this statement is about to use."""
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None
    if connection.dialect.name == "postgresql":
        # The server ends this backend; the statement then meets a closed connection.
        with contextlib.suppress(Exception), dbapi_connection.cursor() as cursor:
            cursor.execute("select pg_terminate_backend(pg_backend_pid())")
    else:
        dbapi_connection.close()


@contextlib.contextmanager
def database_breaks(app: Flask, table: str, at: str = "insert") -> Iterator[Fault]:
    fault = Fault(table, at)
    with app.app_context():
        engine = intake_db.engine
    insert = re.compile(rf"^\s*INSERT INTO \"?{table}\"?\s", re.IGNORECASE)

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        if not insert.match(statement):
            return
        if at == "insert":
            fault.tripped.append(statement)
            _kill(conn)
        else:
            conn.info["break_on_commit"] = True

    def before_commit(conn):
        if conn.info.pop("break_on_commit", False):
            fault.tripped.append("COMMIT")
            _kill(conn)

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    event.listen(engine, "commit", before_commit)
    try:
        yield fault
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)
        event.remove(engine, "commit", before_commit)


def count(app: Flask, table: str) -> int:
    with app.app_context():
        return intake_db.session.scalar(sa.text(f"select count(*) from {table}"))


def read_phrase(referrer) -> str:
    page = referrer.client.get("/referral/sent").get_data(as_text=True)
    words = re.findall(r'class="app-phrase__word">([a-z]+)<', page)
    assert len(words) == 8, page[:2000]
    return " ".join(words)


@pytest.mark.parametrize("at", ["insert", "commit"])
def test_when_the_database_fails_as_the_referral_is_sent_nothing_is_stored_and_the_answers_stay(
    app, referrer, at
):
    referrer.fill_in()

    with database_breaks(app, "referrals", at) as fault:
        response = referrer.send()

    assert fault.tripped, "the referral never reached the database"
    assert response.status_code == 503
    assert "no-store" in response.headers["Cache-Control"]
    page = response.get_data(as_text=True)
    assert "Your referral has not been sent" in page
    assert "nothing was stored" in page
    assert "Your answers are still here" in page
    assert "<title>Error: " in page
    for typed in TYPED:
        assert typed in page, typed
    assert 'name="csrf_token"' in page
    assert re.search(r"<button[^>]*>\s*Send my referral\s*</button>", page)
    assert "app-phrase__word" not in page
    assert count(app, "referrals") == 0
    assert count(app, "messages") == 0


@pytest.mark.parametrize("at", ["insert", "commit"])
def test_after_a_failed_send_trying_again_stores_exactly_one_whole_referral(
    app, referrer, provider_key, at
):
    referrer.fill_in()
    with database_breaks(app, "referrals", at) as fault:
        assert referrer.send().status_code == 503
    assert fault.tripped

    response = referrer.send()  # the same person, same browser, nothing retyped

    assert response.status_code == 303
    assert response.headers["Location"] == "/referral/sent"
    phrase = read_phrase(referrer)
    assert count(app, "referrals") == 1
    with app.app_context():
        referral = intake_db.session.scalars(sa.select(Referral)).one()
        fields = open_record("referral", referral.id, referral.sealed, provider_key)
        pepper, params = app.config["REFERENCE_PEPPER"], app.config["PHRASE_ARGON2"]
        assert referral.lookup_id == derive_referrer_secrets(phrase, pepper, params).lookup_id
    assert fields["name"] == "Sam"
    assert fields["account"] == "It started last year."
    assert referrer.sign_in(phrase).headers["Location"] == "/status"


def test_a_failed_send_does_not_leave_the_answers_behind_after_they_are_sent(app, referrer):
    referrer.fill_in()
    with database_breaks(app, "referrals"):
        referrer.send()
    referrer.send()
    read_phrase(referrer)
    # Sent: the draft is gone, so a second send cannot make a second referral.
    assert referrer.client.get("/referral/check").headers["Location"] == "/referral/service"
    assert count(app, "referrals") == 1


def test_every_stored_referral_has_its_sealed_content_lookup_id_and_reply_key(app, referrer):
    for service in ("idva", "isva", "not_sure"):
        answers = {**FULL_ANSWERS, "service": {"service": service}}
        referrer.refer(answers)
    with app.app_context():
        referrals = intake_db.session.scalars(sa.select(Referral)).all()
        assert len(referrals) == 3
        for referral in referrals:
            assert referral.sealed
            assert referral.lookup_id
            assert referral.referrer_public_key
            assert referral.status == "received"
        assert len({referral.lookup_id for referral in referrals}) == 3


def test_when_the_database_fails_as_a_message_is_sent_nothing_is_stored_and_the_text_stays(
    app, referrer
):
    phrase = referrer.refer()
    assert referrer.sign_in(phrase).status_code == 303
    body = "Please call after 6 on Thursday"

    with database_breaks(app, "messages") as fault:
        response = referrer.send_message(body)

    assert fault.tripped
    assert response.status_code in (200, 503)
    page = response.get_data(as_text=True)
    assert "Your message has not been sent" in page
    assert re.search(rf"<textarea[^>]*>\s*{body}\s*</textarea>", page)
    assert "Your message has been sent" not in page
    assert count(app, "messages") == 0
    assert count(app, "referrals") == 1

    assert referrer.send_message(body).status_code == 303
    assert count(app, "messages") == 1
    assert body in referrer.client.get("/status").get_data(as_text=True)


def test_when_the_database_fails_as_a_message_is_committed_nothing_is_stored(app, referrer):
    phrase = referrer.refer()
    referrer.sign_in(phrase)
    with database_breaks(app, "messages", at="commit") as fault:
        page = referrer.send_message("A message that must not half-arrive").get_data(as_text=True)
    assert fault.tripped == ["COMMIT"]
    assert "Your message has not been sent" in page
    assert count(app, "messages") == 0
