"""Advisors signing in: password then TOTP, replay refusal, rate limits, idle expiry, sign out.

Throttling without lock-out, and the same answer for unknown emails, are tested for both
surfaces in tests/accounts/test_sign_in_throttling.py."""

from __future__ import annotations

import re
import time

import pytest
from argon2 import PasswordHasher
from flask import Flask

from app import create_console_app
from app.accounts import views as auth_views
from app.extensions import console_db
from app.models.console import AuditEntry
from app.web import split_session
from tests.console.accounts_support import (
    Person,
    act,
    advisor_row,
    code_for,
    create_provider_key,
    new_advisor,
    new_manager,
    read_session,
    session_cookie,
    stored_session,
)
from tests.console.conftest import PASSWORD, console_settings

WRONG = "The email address or password is not right"


@pytest.fixture
def advisor(console_app: Flask) -> Person:
    """A set-up advisor holding a grant, currently signed out."""
    manager = new_manager(console_app)
    manager.sign_in()
    create_provider_key(manager)
    person = new_advisor(manager)
    act(manager, person.email, "grant")
    return person


def error_text(html: str) -> list[str]:
    found = re.findall(r'govuk-error-message">\s*<span[^>]*>Error:</span>\s*([^<]+)<', html)
    return [text.strip() for text in found]


def actions(app: Flask) -> list[str]:
    with app.app_context():
        return [e.action for e in console_db.session.query(AuditEntry).order_by(AuditEntry.seq)]


def test_password_and_code_open_the_inbox(advisor: Person) -> None:
    assert advisor.enter_password().location.endswith("/sign-in/code")
    assert advisor.enter_code().location.endswith("/")
    assert advisor.client.get("/").status_code == 200
    assert "sign_in" in actions(advisor.app)


def test_the_password_alone_reaches_nothing_but_the_code_page(advisor: Person) -> None:
    advisor.enter_password()
    for url in ("/", "/cases/new", "/team", "/no-access", "/sync"):
        response = advisor.client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.location, url
    assert advisor.client.get("/sign-in/code").status_code == 200


def test_between_the_steps_the_session_holds_the_unwrapped_key_never_the_password(
    advisor: Person,
) -> None:
    advisor.enter_password()
    stored = read_session(advisor)
    assert stored is not None and "_user_id" not in stored
    assert len(bytes.fromhex(stored[auth_views.PENDING]["key"])) == 96
    assert PASSWORD not in repr(stored)


def test_after_sign_in_the_session_holds_the_key_and_no_client_identifier(
    advisor: Person,
) -> None:
    advisor.sign_in()
    stored = read_session(advisor)
    assert stored["_user_id"] == advisor_row(advisor.app, advisor.email).id
    assert len(bytes.fromhex(stored["advisor_key"])) == 96
    assert auth_views.PENDING not in stored
    assert not stored.get("_id")  # Flask-Login's default is a hash of IP and user agent


def test_the_session_cookie_ends_with_the_browser_and_changes_at_sign_in(advisor: Person) -> None:
    advisor.client.get("/sign-in")
    before = session_cookie(advisor)
    advisor.enter_password()
    middle = session_cookie(advisor)
    response = advisor.enter_code()
    after = session_cookie(advisor)
    assert len({before, middle, after}) == 3
    set_cookie = response.headers["Set-Cookie"]
    assert "Expires" not in set_cookie and "Max-Age" not in set_cookie
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    assert stored_session(advisor.app, before) is None  # the older rows are deleted
    assert stored_session(advisor.app, middle) is None
    assert stored_session(advisor.app, after)["advisor_key"]


def test_a_wrong_code_is_refused(advisor: Person) -> None:
    advisor.enter_password()
    page = advisor.enter_code("000000" if advisor.next_code() != "000000" else "111111")
    assert page.status_code == 200
    assert "not right or has already been used" in page.get_data(as_text=True)
    assert advisor.client.get("/").status_code == 302


def test_a_replayed_code_is_refused(advisor: Person) -> None:
    advisor.enter_password()
    code = advisor.next_code()
    assert advisor.enter_code(code).status_code == 303
    advisor.client.get("/sign-out")
    advisor.enter_password()
    replay = advisor.enter_code(code)
    assert replay.status_code == 200
    assert "already been used" in replay.get_data(as_text=True)
    assert advisor.client.get("/").status_code == 302


def test_the_code_used_to_confirm_setup_cannot_sign_in(advisor: Person) -> None:
    advisor.enter_password()
    setup_step = advisor_row(advisor.app, advisor.email).totp_last_step
    assert advisor.enter_code(code_for(advisor.secret, setup_step)).status_code == 200


def test_an_unknown_email_gets_the_same_message_and_still_costs_a_hash(
    advisor: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified = []
    original = PasswordHasher.verify
    monkeypatch.setattr(
        PasswordHasher, "verify", lambda self, h, p: verified.append(1) or original(self, h, p)
    )
    stranger = Person(advisor.app, "nobody@provider.test")
    unknown = error_text(stranger.enter_password().get_data(as_text=True))
    wrong = error_text(advisor.enter_password("not the password").get_data(as_text=True))
    assert unknown == wrong == [WRONG]
    assert len(verified) == 2


def test_a_deactivated_account_cannot_sign_in(console_app: Flask) -> None:
    manager = new_manager(console_app)
    manager.sign_in()
    person = new_advisor(manager)
    act(manager, person.email, "deactivate")
    assert error_text(person.enter_password().get_data(as_text=True)) == [WRONG]


def test_the_password_step_expires_after_a_few_minutes(
    advisor: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    advisor.enter_password()
    later = time.time() + auth_views.PENDING_SECONDS + 1
    monkeypatch.setattr(auth_views.time, "time", lambda: later)
    assert advisor.client.get("/sign-in/code").location.endswith("/sign-in")


def test_an_idle_session_expires(advisor: Person, monkeypatch: pytest.MonkeyPatch) -> None:
    advisor.sign_in()
    assert advisor.client.get("/").status_code == 200
    idle = advisor.app.config["SESSION_IDLE_MINUTES"] * 60
    later = time.time() + idle + 1
    monkeypatch.setattr(split_session.time, "time", lambda: later)
    response = advisor.client.get("/")
    assert response.status_code == 302 and "/sign-in" in response.location


def test_sign_out_deletes_the_stored_session_and_the_old_cookie_opens_nothing(
    advisor: Person,
) -> None:
    advisor.sign_in()
    cookie = session_cookie(advisor)
    assert read_session(advisor)["advisor_key"]
    response = advisor.client.get("/sign-out")
    assert response.location.endswith("/sign-in?signed_out=1")
    assert stored_session(advisor.app, cookie) is None
    assert "sign_out" in actions(advisor.app)
    thief = advisor.app.test_client()
    thief.set_cookie(advisor.app.config["SESSION_COOKIE_NAME"], cookie)
    stolen = thief.get("/")
    assert stolen.status_code == 302 and "/sign-in" in stolen.location


def test_signing_out_says_so(advisor: Person) -> None:
    advisor.sign_in()
    page = advisor.client.get("/sign-out", follow_redirects=True)
    assert "You have signed out" in page.get_data(as_text=True)


def test_an_advisor_without_a_grant_lands_on_the_no_access_page(console_app: Flask) -> None:
    manager = new_manager(console_app)
    manager.sign_in()
    person = new_advisor(manager)
    assert person.sign_in().location.endswith("/no-access")
    assert person.client.get("/no-access").status_code == 200
    assert person.client.get("/").status_code == 403


def test_sign_in_posts_are_rate_limited(console_database_url: str) -> None:
    app = create_console_app({**console_settings(console_database_url), "RATELIMIT_ENABLED": True})
    with app.app_context():
        console_db.create_all()
    person = Person(app, "nobody@provider.test")
    token = person.token("/sign-in")
    # A different address each time, so only the per-client limit (not the per-address
    # throttle) can answer 429 here.
    codes = [
        person.client.post(
            "/sign-in",
            data={"email": f"nobody{i}@provider.test", "password": "x", "csrf_token": token},
        ).status_code
        for i in range(11)
    ]
    assert codes[:10] == [200] * 10 and codes[10] == 429


def test_a_changed_secret_key_gives_a_clear_message_instead_of_an_error(advisor: Person) -> None:
    advisor.enter_password()
    advisor.app.config["SECRET_KEY"] = "a-different-secret-key-entirely-0123456789"
    page = advisor.enter_code()
    assert page.status_code == 200
    assert "Ask your manager for a new setup link" in page.get_data(as_text=True)
