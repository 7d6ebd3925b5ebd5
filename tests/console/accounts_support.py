"""People using the console's real account pages through Flask's test client.

`Person` remembers the TOTP secret it was shown at setup and the last time step it used, so it
can always type a code the console has not seen yet, as a real authenticator app would after
waiting for the next code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping

import pyotp
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from app.accounts import totp
from app.extensions import console_db
from app.models.console import Advisor, ConsoleSession
from crypto.aead import unwrap
from tests.console.conftest import PASSWORD

CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
SETUP_LINK = re.compile(r"/setup/([A-Za-z0-9_-]{20,})")
SETUP_KEY = re.compile(r'id="setup-key"><code>([A-Z2-7 ]+)</code>')
RECOVERY_KEY = re.compile(r'id="recovery-key">([A-Z2-7-]+)<')


def cli(app: Flask, *args: str, input: str | None = None) -> Result:
    return app.test_cli_runner().invoke(args=["console", *args], input=input)


def setup_token(text: str) -> str:
    match = SETUP_LINK.search(text)
    assert match, text
    return match.group(1)


def advisor_row(app: Flask, email: str) -> Advisor:
    with app.app_context():
        advisor = console_db.session.query(Advisor).filter_by(email=email).one()
        console_db.session.expunge(advisor)
        return advisor


def code_for(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


class Person:
    def __init__(self, app: Flask, email: str, password: str = PASSWORD) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.email = email
        self.password = password
        self.secret = ""
        self.last_step = -1

    def token(self, url: str) -> str:
        page = self.client.get(url)
        match = CSRF.search(page.get_data(as_text=True))
        assert match, f"no CSRF token on {url} ({page.status_code})"
        return match.group(1)

    def post(
        self, url: str, data: Mapping[str, object], form_url: str | None = None
    ) -> TestResponse:
        return self.client.post(url, data={**data, "csrf_token": self.token(form_url or url)})

    def next_code(self) -> str:
        """A code for a step not used yet: now, or the next step if now's was used."""
        step = max(totp.current_step(), self.last_step + 1)
        self.last_step = step
        return code_for(self.secret, step)

    def set_up(self, token: str) -> TestResponse:
        """Choose the password, read the setup key off the page and confirm a code."""
        chosen = self.post(f"/setup/{token}", {"password": self.password, "confirm": self.password})
        assert chosen.status_code == 303, chosen.get_data(as_text=True)
        page = self.client.get("/setup/two-factor").get_data(as_text=True)
        match = SETUP_KEY.search(page)
        assert match, page
        self.secret = match.group(1).replace(" ", "")
        return self.post("/setup/two-factor", {"code": self.next_code()})

    def enter_password(self, password: str | None = None) -> TestResponse:
        return self.post(
            "/sign-in",
            {"email": self.email, "password": self.password if password is None else password},
        )

    def enter_code(self, code: str | None = None) -> TestResponse:
        return self.post("/sign-in/code", {"code": code or self.next_code()})

    def sign_in(self) -> TestResponse:
        assert self.enter_password().status_code == 303
        return self.enter_code()


def new_manager(app: Flask, email: str = "manager@provider.test") -> Person:
    """A manager created on the command line who has completed setup."""
    result = cli(app, "create-manager", email, "Morgan Manager")
    assert result.exit_code == 0, result.output
    manager = Person(app, email)
    assert manager.set_up(setup_token(result.output)).status_code == 303
    return manager


def invite(manager: Person, email: str, name: str = "Alex Advisor", role: str = "advisor") -> str:
    page = manager.post(
        "/team/invite", {"name": name, "email": email, "role": role}, form_url="/team"
    )
    assert page.status_code == 200, page.get_data(as_text=True)
    return setup_token(page.get_data(as_text=True))


def new_advisor(manager: Person, email: str = "advisor@provider.test") -> Person:
    advisor = Person(manager.app, email)
    assert advisor.set_up(invite(manager, email)).status_code == 303
    return advisor


def act(manager: Person, advisor_email: str, action: str) -> TestResponse:
    advisor = advisor_row(manager.app, advisor_email)
    return manager.post(f"/team/{advisor.id}/{action}", {}, form_url="/team")


def create_provider_key(manager: Person) -> str:
    """Returns the recovery key shown once."""
    page = manager.post("/team/keys", {}, form_url="/team")
    assert page.status_code == 200, page.get_data(as_text=True)
    match = RECOVERY_KEY.search(page.get_data(as_text=True))
    assert match
    return match.group(1)


def session_cookie(person: Person) -> str | None:
    cookie = person.client.get_cookie(person.app.config["SESSION_COOKIE_NAME"])
    return cookie.value if cookie else None


def read_session(person: Person) -> dict | None:
    """What the console has stored for this browser, opened with the key from its cookie."""
    return stored_session(person.app, session_cookie(person))


def stored_session(app: Flask, cookie: str | None) -> dict | None:
    if cookie is None:
        return None
    raw = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
    row_id = hashlib.sha256(raw[:16]).hexdigest()
    with app.app_context():
        sealed = console_db.session.scalar(
            select(ConsoleSession.sealed).where(ConsoleSession.id == row_id)
        )
    if sealed is None:
        return None
    return json.loads(unwrap(sealed, raw[16:], row_id.encode()))["data"]
