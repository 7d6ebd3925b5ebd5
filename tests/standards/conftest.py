"""Standards fixtures: referrals with chosen dates, and DPS analysts who sign in for real.

`Analyst` drives the real setup and sign-in pages and remembers its TOTP secret and the last
time step it used, so it always types a code the service has not seen yet. `signed_in`
gives a client whose analyst session is set as a completed sign-in leaves it, for tests that
are not about signing in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date

import pyotp
import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.accounts import totp
from app.extensions import intake_db
from app.intake import recipients
from app.models.intake import Recipient, Referral
from app.models.standards import Analyst as AnalystRow
from crypto.keyfile import TEST_PARAMS
from crypto.keys import PrivateKey
from tests.provider_signing import register_signed

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
SETUP_LINK = re.compile(r"/standards/setup/([A-Za-z0-9_-]{20,})")
SETUP_KEY = re.compile(r'id="setup-key"><code>([A-Z2-7 ]+)</code>')
CAPACITY = {"2023-24": 120, "2024-25": 150, "2025-26": 180}


@pytest.fixture
def standards_app(app: Flask) -> Flask:
    """The intake app with cheap password hashing and a funded capacity."""
    app.config.update(ANALYST_ARGON2=TEST_PARAMS, FUNDED_CAPACITY=dict(CAPACITY))
    with app.app_context():
        if recipients.route_for("idva") is None:
            register_signed("Standards test provider", PrivateKey.generate().public_key)
            for service in ("idva", "isva", "not_sure"):
                recipients.assign(service, "Standards test provider")
    return app


def recipient_id(app: Flask) -> str:
    with app.app_context():
        return intake_db.session.query(Recipient.id).order_by(Recipient.created_on).first()[0]


def add_referrals(app: Flask, *rows: Mapping[str, object]) -> None:
    """Referrals with chosen clear metadata: each row gives received_on and any other column."""
    provider = recipient_id(app)
    with app.app_context():
        for row in rows:
            values = {"service": "idva", "status": "with_advisor", **row}
            intake_db.session.add(Referral(recipient_id=provider, **values))
        intake_db.session.commit()


def many(n: int, **row: object) -> list[dict[str, object]]:
    return [dict(row) for _ in range(n)]


def cli(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["standards", *args])


class Analyst:
    """A DPS analyst using the real pages through their own test client."""

    def __init__(self, app: Flask, email: str = "analyst@dps.test", password: str = PASSWORD):
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
        step = max(totp.current_step(), self.last_step + 1)
        self.last_step = step
        return pyotp.TOTP(self.secret).generate_otp(step)

    def set_up(self, token: str) -> TestResponse:
        chosen = self.post(
            f"/standards/setup/{token}", {"password": self.password, "confirm": self.password}
        )
        assert chosen.status_code == 303, chosen.get_data(as_text=True)
        page = self.client.get("/standards/setup/two-factor").get_data(as_text=True)
        match = SETUP_KEY.search(page)
        assert match, page
        self.secret = match.group(1).replace(" ", "")
        return self.post("/standards/setup/two-factor", {"code": self.next_code()})

    def enter_password(self, password: str | None = None) -> TestResponse:
        return self.post(
            "/standards/sign-in",
            {"email": self.email, "password": self.password if password is None else password},
        )

    def enter_code(self, code: str | None = None) -> TestResponse:
        return self.post("/standards/sign-in/code", {"code": code or self.next_code()})

    def sign_in(self) -> TestResponse:
        assert self.enter_password().status_code == 303
        return self.enter_code()


def new_analyst(app: Flask, email: str = "analyst@dps.test") -> Analyst:
    """An analyst created on the command line who has completed setup (not yet signed in)."""
    result = cli(app, "create-analyst", email, "Dana Analyst")
    assert result.exit_code == 0, result.output
    match = SETUP_LINK.search(result.output)
    assert match, result.output
    analyst = Analyst(app, email)
    assert analyst.set_up(match.group(1)).status_code == 303
    return analyst


def ready_analyst(app: Flask, email: str = "ready@dps.test") -> str:
    """An analyst row that has completed setup (made directly: fast); returns its id."""
    with app.app_context():
        row = AnalystRow(
            email=email, name="Robin Ready", password_hash="$argon2id$unused", totp_secret=b"x"
        )
        intake_db.session.add(row)
        intake_db.session.commit()
        return row.id


def sign_in_as(client: FlaskClient, analyst_id: str) -> FlaskClient:
    """The analyst session a completed password + code sign-in leaves behind."""
    with client.session_transaction("/standards/") as session:
        session["_user_id"] = analyst_id
        session["_fresh"] = True
    return client


@pytest.fixture
def signed_in(standards_app: Flask) -> FlaskClient:
    return sign_in_as(standards_app.test_client(), ready_analyst(standards_app))


@pytest.fixture
def on(standards_app: Flask) -> Callable[..., object]:
    """Run a function inside the app context: on(fn, *args)."""

    def run(fn: Callable[..., object], *args: object, **kwargs: object) -> object:
        with standards_app.app_context():
            return fn(*args, **kwargs)

    return run


def d(text: str) -> date:
    return date.fromisoformat(text)
