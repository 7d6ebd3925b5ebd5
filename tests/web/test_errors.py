"""Error pages when the database is away: the service's 503 page with Retry-After, never a
500 or an expired form, and a log line that names the error's type only (real: a database
file that cannot be opened, as a server that refuses connections fails too)."""

import base64
import secrets

from app import create_intake_app
from app.web.errors import DATABASE_RETRY_AFTER_SECONDS


def _intake_without_its_database(tmp_path):
    missing = tmp_path / "no-such-directory" / "intake.sqlite"
    return create_intake_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing}"})


def test_a_page_that_reads_the_database_answers_503_with_retry_after_while_it_is_away(
    tmp_path, capsys
):
    answer = _intake_without_its_database(tmp_path).test_client().get("/referral/service")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)
    assert "Sorry, the service is unavailable" in page
    assert "Nothing you entered has been stored" in page
    assert "Traceback" not in page and "sqlite" not in page.lower()
    said = capsys.readouterr().err  # the app's own log handler writes to stderr
    assert "database unavailable (OperationalError); answered 503" in said
    assert "no-such-directory" not in said


def test_a_session_the_store_cannot_read_gets_the_503_page_not_an_expired_form(tmp_path):
    client = _intake_without_its_database(tmp_path).test_client()
    # A session with answers in it lives in the database: its cookie is an id and a key.
    client.set_cookie("session", base64.urlsafe_b64encode(secrets.token_bytes(48)).decode())
    answer = client.post("/referral/contact", data={"name": "Alex"})
    assert answer.status_code == 503
    assert "Sorry, the service is unavailable" in answer.get_data(as_text=True)
    assert "Set-Cookie" not in answer.headers  # nothing written over the row it could not read
