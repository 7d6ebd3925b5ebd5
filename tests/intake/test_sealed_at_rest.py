"""G1 sealed at rest: nothing a referrer writes reaches a table, a backup or a log in clear.

Every free-text answer carries its own marker, a few distinctive choice answers stand in for
the sealed monitoring answers (G5), and the referrer also sends a marked message. Each test
first proves the markers really went in (the provider's key opens them, or the browser's
session key opens the draft), then looks for them everywhere a police-side insider could.
"""

import base64
import logging
import re
from datetime import date

import sqlalchemy as sa
from wtforms import StringField

from app.extensions import intake_db
from app.models.intake import DraftSession, Message, Recipient, Referral
from app.questionnaire import journey
from app.web.split_session import SplitSessionInterface, _row_id
from crypto.envelope import open_record
from crypto.keyfile import unwrap
from crypto.phrase import derive_referrer_secrets
from tests.database_scan import (
    all_log_text,
    found_in,
    markers_at_rest,
    markers_in_tables,
    stored_bytes,
    verbose_logging,
)
from tests.referrer import FULL_ANSWERS, Referrer

# One distinct marker per free-text question (the phone number must look like one).
TYPED = {
    "name": "MARKER-NAME-7f3a",
    "phone": "+44 (0)7700-913-572",
    "email": "marker-email-7f3a@example.org",
    "safe_times": "MARKER-SAFE-TIMES-7f3a",
    "someone_else_answers": "MARKER-SOMEONE-ELSE-7f3a",
    "account": "It began MARKER-ACCOUNT-7f3a last spring.",
    "access_needs": "MARKER-ACCESS-NEEDS-7f3a",
}
# Choice answers whose stored values are long enough never to occur by chance.
CHOSEN = {
    "voicemail": "name_and_service",
    "ethnicity": "white_gypsy_traveller",
    "sexual_orientation": "gay_lesbian",
    "disability": "yes_not_at_all",
    "marital_status": "separated",
}
MESSAGE = "MARKER-MESSAGE-7f3a: mornings are safest"
PHRASE_WORD = re.compile(r'class="app-phrase__word">([a-z]+)<')


def marked_answers():
    answers = {slug: dict(page) for slug, page in FULL_ANSWERS.items()}
    for page in answers.values():
        for field in page:
            page[field] = TYPED.get(field, CHOSEN.get(field, page[field]))
    answers["equality"].update({field: CHOSEN[field] for field in
                                ("sexual_orientation", "disability", "marital_status")})
    return answers


def free_text_fields():
    return {
        name
        for step in journey.STEPS
        for name in step.field_names()
        if issubclass(getattr(step.form, name).field_class, StringField)
    }


def refer_and_write(app, referrer, provider_key):
    """A whole marked referral and a marked message; returns every secret to look for."""
    phrase = referrer.refer(marked_answers())
    assert referrer.sign_in(phrase).status_code == 303
    assert referrer.send_message(MESSAGE).status_code == 303
    assert MESSAGE in referrer.client.get("/status").get_data(as_text=True)
    with app.app_context():
        referral = intake_db.session.scalars(sa.select(Referral)).one()
        fields = open_record("referral", referral.id, referral.sealed, provider_key)
        message = intake_db.session.scalars(sa.select(Message)).one()
        body = open_record("message", message.id, message.sealed_for_provider, provider_key)
    # The markers really are in the referral: sealed, and nowhere else.
    assert {name: fields[name] for name in TYPED} == TYPED
    assert {name: fields[name] for name in CHOSEN} == CHOSEN
    assert body == {"body": MESSAGE}
    referrer_key = derive_referrer_secrets(
        phrase, app.config["REFERENCE_PEPPER"], app.config["PHRASE_ARGON2"]
    ).private_key
    # The phrase, and the referrer's private key the session holds while signed in.
    return [*TYPED.values(), *CHOSEN.values(), MESSAGE, phrase, referrer_key.to_bytes()]


def test_every_free_text_question_carries_a_marker_in_these_tests():
    assert free_text_fields() == set(TYPED), "give each new free-text question a marker above"


def test_no_column_of_any_table_holds_what_the_referrer_wrote(app, referrer, provider_key):
    secrets = refer_and_write(app, referrer, provider_key)
    with app.app_context():
        assert markers_in_tables(intake_db.engine, secrets) == {}


def test_no_database_file_or_dump_holds_what_the_referrer_wrote(
    app, referrer, provider_key, database_url
):
    secrets = refer_and_write(app, referrer, provider_key)
    backend = sa.engine.make_url(database_url).get_backend_name()
    # SQLite: the file and any -wal/-journal beside it; PostgreSQL: a full pg_dump.
    scanned = stored_bytes(database_url)
    assert ("pg_dump" in scanned) == (backend == "postgresql")
    assert markers_at_rest(database_url, secrets) == {}


def test_no_log_line_or_stderr_output_holds_what_the_referrer_wrote(
    app, referrer, provider_key, caplog, capfd
):
    refused = ["MARKER-BAD-EMAIL-7f3a", "MARKER-NO-CSRF-7f3a"]
    with verbose_logging(caplog, sql_level=logging.DEBUG):
        secrets = refer_and_write(app, referrer, provider_key)
        # A second person: an answer refused as invalid, a post refused for a missing CSRF
        # token, then a referral the database refuses (logged; they are asked to retry).
        second = Referrer(app.test_client())
        second.fill_in(marked_answers())
        page = second.answer("contact-details", {"email": refused[0]})
        assert page.status_code == 200 and refused[0] in page.get_data(as_text=True)
        assert second.client.post("/referral/contact", data={"name": refused[1]}).status_code == 400
        with app.app_context():
            Message.__table__.drop(intake_db.engine)
            Referral.__table__.drop(intake_db.engine)
        assert second.send().status_code == 503
        assert referrer.client.get("/sign-out").status_code == 303
    output = capfd.readouterr()
    logged = all_log_text(caplog)
    # The capture is live: SQL with its results, the refusal, and the app's own stderr handler.
    assert "INSERT INTO referrals" in logged and "referral not stored" in logged
    assert "referral not stored" in output.err
    assert found_in(logged, [*secrets, *refused]) == []
    assert found_in(output.out + output.err, [*secrets, *refused]) == []


def test_answers_not_yet_sent_are_stored_only_sealed_in_the_draft_session(
    app, referrer, database_url
):
    answers = marked_answers()
    referrer.fill_in(answers)
    with app.app_context():
        assert markers_in_tables(intake_db.engine, [*TYPED.values(), *CHOSEN.values()]) == {}
        rows = intake_db.session.execute(sa.select(DraftSession.id, DraftSession.sealed)).all()
    assert markers_at_rest(database_url, [*TYPED.values(), *CHOSEN.values()]) == {}
    # The answers are there, under the key only the browser's cookie holds.
    cookie = referrer.client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    session_id, key = SplitSessionInterface._read_cookie(cookie.value)
    assert [row_id for row_id, _ in rows] == [_row_id(session_id)]
    state = unwrap(rows[0].sealed, key, _row_id(session_id).encode()).decode()
    assert all(marker in state for marker in [*TYPED.values(), *CHOSEN.values()])


def test_the_session_cookie_holds_only_a_random_id_and_key(app, referrer):
    name = app.config["SESSION_COOKIE_NAME"]
    seen = []
    for slug, page in marked_answers().items():
        assert referrer.answer(slug, page).status_code == 303
        seen.append(referrer.client.get_cookie(name).value)
    assert referrer.send().status_code == 303
    seen.append(referrer.client.get_cookie(name).value)
    phrase = referrer.client.get("/referral/sent").get_data(as_text=True)
    assert referrer.sign_in(" ".join(PHRASE_WORD.findall(phrase))).status_code == 303
    assert referrer.send_message(MESSAGE).status_code == 303
    seen.append(referrer.client.get_cookie(name).value)
    assert found_in("\n".join(seen), [*TYPED.values(), *CHOSEN.values(), MESSAGE]) == []
    # One random id and one random key (16 + 32 bytes), however much was typed.
    assert all(SplitSessionInterface._read_cookie(value) for value in seen)
    assert {len(value) for value in seen} == {64}


def test_the_scans_would_find_text_left_in_clear(app, database_url):
    """The scanner itself: plain text in any case, UTF-16 in a binary column, and base64."""
    plain, wide, encoded = "Clear-Text-Marker-51c9", "Wide-Text-Marker-51c9", "B64-Marker-51c9"
    with app.app_context():
        intake_db.session.add(Recipient(name=plain.upper()))
        intake_db.session.add(Recipient(name="x" + base64.b64encode(encoded.encode()).decode()))
        intake_db.session.add(DraftSession(
            id="scan-self-test", sealed=wide.encode("utf-16-le"), expires_on=date.today()
        ))
        intake_db.session.commit()
        in_tables = markers_in_tables(intake_db.engine, [plain, wide, encoded])
    assert sorted(in_tables) == ["draft_sessions.sealed", "recipients.name"]
    assert any("utf-16-le" in hit for hit in in_tables["draft_sessions.sealed"])
    assert any("base64" in hit for hit in in_tables["recipients.name"])
    at_rest = markers_at_rest(database_url, [plain, wide, encoded])
    hits = " ".join(hit for found in at_rest.values() for hit in found)
    assert all(repr(marker) in hits for marker in (plain, wide, encoded)), at_rest
