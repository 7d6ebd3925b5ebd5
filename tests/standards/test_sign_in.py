"""DPS analysts: one-time setup link, Argon2id password, TOTP, replay refused, rate limit, idle
expiry, sign-out (DESIGN 1; G8's rules, applied to the standards surface).

Throttling without lock-out, and the same answer for unknown emails, are tested for both
surfaces in tests/accounts/test_sign_in_throttling.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import create_intake_app
from app.accounts import totp
from app.accounts.flow import WRONG_DETAILS
from app.extensions import intake_db, limiter
from app.models.standards import Analyst as AnalystRow
from app.models.standards import AnalystSession
from app.standards import analysts
from crypto.errors import DecryptionError
from tests.conftest import intake_settings
from tests.standards.conftest import SETUP_LINK, Analyst, cli, new_analyst


def row(app: Flask, email: str) -> AnalystRow:
    with app.app_context():
        found = intake_db.session.scalars(select(AnalystRow).where(AnalystRow.email == email)).one()
        intake_db.session.expunge(found)
        return found


def sessions(app: Flask) -> int:
    with app.app_context():
        return intake_db.session.scalar(select(func.count()).select_from(AnalystSession))


def test_a_new_analyst_sets_up_with_the_printed_link_and_signs_in_with_password_and_code(
    standards_app,
):
    result = cli(standards_app, "create-analyst", "Dana@DPS.test", "Dana Analyst")
    assert result.exit_code == 0
    assert "Analyst account ready to set up for dana@dps.test" in result.output
    token = SETUP_LINK.search(result.output).group(1)
    dana = Analyst(standards_app, "dana@dps.test")

    assert dana.set_up(token).headers["Location"] == "/standards/sign-in"
    assert dana.enter_password().headers["Location"] == "/standards/sign-in/code"
    signed_in = dana.enter_code()

    assert signed_in.status_code == 303
    assert signed_in.headers["Location"] == "/standards/"
    assert dana.client.get("/standards/").status_code == 200
    stored = row(standards_app, "dana@dps.test")
    assert stored.password_hash.startswith("$argon2id$")
    assert (
        dana.password not in stored.password_hash and dana.secret.encode() not in stored.totp_secret
    )


def test_a_setup_link_works_once(standards_app):
    result = cli(standards_app, "create-analyst", "once@dps.test", "Once")
    token = SETUP_LINK.search(result.output).group(1)
    Analyst(standards_app, "once@dps.test").set_up(token)

    again = standards_app.test_client().get(f"/standards/setup/{token}")

    assert again.status_code == 404
    assert "This setup link does not work" in again.get_data(as_text=True)


def test_a_setup_link_stops_working_after_its_last_day(standards_app):
    result = cli(standards_app, "create-analyst", "late@dps.test", "Late")
    token = SETUP_LINK.search(result.output).group(1)
    with standards_app.app_context():
        found = analysts.find_by_email("late@dps.test")
        found.invite_expires_on = date.today() - timedelta(days=1)
        intake_db.session.commit()

    assert standards_app.test_client().get(f"/standards/setup/{token}").status_code == 404


def test_a_second_account_for_the_same_email_is_refused(standards_app):
    new_analyst(standards_app, "same@dps.test")

    result = cli(standards_app, "create-analyst", "SAME@dps.test", "Same again")

    assert result.exit_code != 0
    assert "There is already an account for this email address" in result.output


def test_the_password_alone_opens_no_standards_page(standards_app):
    dana = new_analyst(standards_app)
    dana.enter_password()

    for page in ("/standards/", "/standards/releases"):
        response = dana.client.get(page)
        assert response.status_code == 302
        assert response.headers["Location"] == "/standards/sign-in"


def test_a_wrong_password_and_an_unknown_email_get_the_same_words(standards_app):
    dana = new_analyst(standards_app)
    stranger = Analyst(standards_app, "nobody@dps.test")

    wrong = dana.enter_password("not the password at all").get_data(as_text=True)
    unknown = stranger.enter_password().get_data(as_text=True)

    assert WRONG_DETAILS in wrong
    assert WRONG_DETAILS in unknown


def test_a_code_that_was_used_once_is_refused_when_typed_again(standards_app):
    dana = new_analyst(standards_app)
    dana.enter_password()
    code = dana.next_code()
    assert dana.enter_code(code).status_code == 303
    dana.client.get("/standards/sign-out")

    dana.enter_password()
    replayed = dana.enter_code(code)

    assert replayed.status_code == 200
    assert "has already been used" in replayed.get_data(as_text=True)
    assert dana.client.get("/standards/").status_code == 302


def test_an_older_code_is_refused_once_a_newer_one_was_used(standards_app):
    dana = new_analyst(standards_app)
    now = totp.current_step()
    dana.last_step = now  # the next code the person types is for the next step
    dana.sign_in()
    dana.client.get("/standards/sign-out")

    dana.enter_password()
    import pyotp

    older = pyotp.TOTP(dana.secret).generate_otp(now)

    assert "has already been used" in dana.enter_code(older).get_data(as_text=True)


def test_three_wrong_codes_send_the_analyst_back_to_the_password_step(standards_app):
    dana = new_analyst(standards_app)
    dana.enter_password()
    for _ in range(2):
        assert dana.enter_code("000000").status_code == 200
    sent_back = dana.enter_code("000000")

    assert sent_back.status_code == 303
    assert sent_back.headers["Location"] == "/standards/sign-in"
    assert dana.client.get("/standards/sign-in/code").status_code == 302


def test_failures_are_counted_in_the_expiring_store_and_no_database_row_holds_a_time(
    standards_app,
):
    dana = new_analyst(standards_app)
    for _ in range(5):
        dana.enter_password("wrong password!")

    stored = row(standards_app, dana.email)
    assert set(AnalystRow.__table__.columns.keys()) == {
        "id",
        "email",
        "name",
        "password_hash",
        "totp_secret",
        "invite_hash",
        "invite_expires_on",
        "active",
        "created_on",
    }
    assert stored.invite_expires_on is None


@pytest.fixture
def limited(standards_app: Flask, database_url: str) -> Iterator[Flask]:
    """The same database, with rate limits on."""
    app = create_intake_app({**intake_settings(database_url), "RATELIMIT_ENABLED": True})
    app.config.update(ANALYST_ARGON2=standards_app.config["ANALYST_ARGON2"])
    yield app
    with app.app_context():
        intake_db.session.remove()
        intake_db.engine.dispose()
    limiter.init_app(standards_app)  # the limiter is shared: switch it off again


def test_the_eleventh_sign_in_attempt_within_a_minute_gets_please_wait(limited):
    # A different address each time, so only the per-client limit (not the per-address
    # throttle) can answer 429 here.
    person = Analyst(limited, "nobody@dps.test")
    for i in range(10):
        person.email = f"nobody{i}@dps.test"
        assert person.enter_password("wrong password!").status_code == 200

    person.email = "nobody10@dps.test"
    response = person.enter_password("wrong password!")

    assert response.status_code == 429
    assert "Please wait before trying again" in response.get_data(as_text=True)


def test_an_analyst_idle_for_longer_than_fifteen_minutes_must_sign_in_again(
    standards_app, monkeypatch
):
    dana = new_analyst(standards_app)
    dana.sign_in()
    assert dana.client.get("/standards/").status_code == 200

    later = time.time() + 15 * 60 + 5
    monkeypatch.setattr(time, "time", lambda: later)

    assert dana.client.get("/standards/").headers["Location"] == "/standards/sign-in"


def test_signing_out_deletes_the_session_and_closes_every_page(standards_app):
    dana = new_analyst(standards_app)
    dana.sign_in()
    assert sessions(standards_app) == 1

    out = dana.client.get("/standards/sign-out")

    assert out.headers["Location"] == "/standards/sign-in?signed_out=1"
    assert sessions(standards_app) == 0
    assert dana.client.get("/standards/").status_code == 302
    assert "You have signed out." in dana.client.get(out.headers["Location"]).get_data(as_text=True)


def test_a_deactivated_analyst_is_out_at_once_and_cannot_sign_in(standards_app):
    dana = new_analyst(standards_app)
    dana.sign_in()

    assert cli(standards_app, "deactivate-analyst", dana.email).exit_code == 0

    assert dana.client.get("/standards/").status_code == 302
    assert WRONG_DETAILS in dana.enter_password().get_data(as_text=True)


def test_a_reset_gives_a_new_link_and_ends_the_old_sign_in_and_password(standards_app):
    dana = new_analyst(standards_app)
    dana.sign_in()

    result = cli(standards_app, "reset-analyst", dana.email)

    assert dana.client.get("/standards/").headers["Location"] == "/standards/sign-in"
    assert WRONG_DETAILS in dana.enter_password().get_data(as_text=True)
    fresh = Analyst(standards_app, dana.email, password="a brand new passphrase")
    assert fresh.set_up(SETUP_LINK.search(result.output).group(1)).status_code == 303
    assert fresh.sign_in().headers["Location"] == "/standards/"


def test_an_analysts_totp_secret_is_sealed_apart_from_the_consoles(standards_app):
    dana = new_analyst(standards_app)
    stored = row(standards_app, dana.email)

    console_label = b"safe-referral/v1/console-totp-secret"  # AdvisorStore.totp_label
    with pytest.raises(DecryptionError):
        totp.open_secret(
            stored.totp_secret, standards_app.config["SECRET_KEY"], stored.id, console_label
        )
