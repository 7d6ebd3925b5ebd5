"""Both deployments at once: the intake served over real HTTP, the console syncing with it.

`linked` registers the console's recipient key at intake (so referrals open in the console),
issues a delivery-API token, serves intake on 127.0.0.1 with Werkzeug in a thread, and
points the console's INTAKE_API_URL and INTAKE_API_TOKEN at it. The console reaches intake
only over HTTP, exactly as in production. Test modules import the fixture by name.
"""

from __future__ import annotations

import http.cookiejar
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.api import tokens
from app.console import origin_checks
from app.console.sync import SyncSummary, run_sync
from app.extensions import console_db, intake_db
from app.intake import recipients, referrals
from app.models.base import random_id
from app.models.console import Case, CaseMessage
from app.models.intake import Referral
from app.questionnaire import journey
from app.web.privacy_logging import QuietRequestHandler
from crypto.envelope import ReferrerBinding, seal_record
from crypto.keys import PrivateKey
from tests.console.conftest import ProviderKeys
from tests.provider_signing import pin
from tests.referrer_keys import binding_for, referrer_for

PROVIDER = "Linked advisor service"


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve `app` on a free loopback port; yields its base URL."""
    server = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class Linked:
    intake: Flask
    console: Flask
    intake_url: str
    keys: ProviderKeys

    def sync(self, **options: object) -> SyncSummary:
        with self.console.app_context():
            return run_sync(**options)  # type: ignore[arg-type]

    def refer(self, marker: str = "", service: str = "idva") -> str:
        """A referral as the form would seal it (fast: no Argon2id), returning its id."""
        with self.intake.app_context():
            route = recipients.route_for(service)
            assert route is not None
            referral_id = random_id()
            fields = journey.sealed_fields({"service": service, "account": marker})
            intake_db.session.add(
                Referral(
                    id=referral_id,
                    service=service,
                    recipient_id=route.recipient_id,
                    sealed=seal_record(
                        "referral", referral_id, fields, route.key,
                        referrer=binding_for(referral_id),
                    ),
                    lookup_id=random_id(),
                    referrer_public_key=binding_for(referral_id).public_key.to_bytes(),
                )
            )
            intake_db.session.commit()
            return referral_id

    def settle(self, today: date | None = None) -> int:
        """What the console does when someone with the key next looks: check the withdrawals
        the sync could only hold (app/console/origin_checks.py)."""
        with self.console.app_context():
            return origin_checks.settle_withdrawals(
                console_db.session, "advisor@example.org", self.keyring(), today or date.today()
            )

    def keyring(self) -> dict[str, PrivateKey]:
        """What a signed-in advisor granted the provider key holds."""
        return {self.keys.recipient.public_key.key_id: self.keys.recipient}

    def referrer_of(self, case: Case) -> ReferrerBinding:
        """The reply key and auth key inside the case's envelope, as the reply page reads them."""
        binding = origin_checks.binding_of(case, self.keyring())
        assert binding is not None
        return binding

    def referrer_says(self, referral_id: str, body: str) -> None:
        with self.intake.app_context():
            referral = intake_db.session.get(Referral, referral_id)
            assert referral is not None
            referrals.send_message(referral, referrer_for(referral.id), body)

    def withdraw(self, referral_id: str) -> None:
        with self.intake.app_context():
            referral = intake_db.session.get(Referral, referral_id)
            assert referral is not None
            referrals.withdraw(referral, referrer_for(referral.id))

    def intake_referral(self, referral_id: str) -> Referral:
        with self.intake.app_context():
            referral = intake_db.session.get(Referral, referral_id)
            assert referral is not None
            intake_db.session.expunge(referral)
            return referral

    def case(self, case_id: str) -> Case | None:
        with self.console.app_context():
            case = console_db.session.get(Case, case_id)
            if case is not None:
                console_db.session.expunge(case)
            return case

    def counts(self) -> tuple[int, int]:
        """(cases, messages) in the console database."""
        with self.console.app_context():
            return (
                console_db.session.scalar(select(func.count()).select_from(Case)) or 0,
                console_db.session.scalar(select(func.count()).select_from(CaseMessage)) or 0,
            )


def link(intake: Flask, console: Flask, keys: ProviderKeys) -> Iterator[Linked]:
    with intake.app_context():
        pin(PROVIDER, keys.signing)
        recipients.register(PROVIDER, keys.key_set)
        for service in ("idva", "isva", "not_sure"):
            recipients.assign(service, PROVIDER)
        token = tokens.issue(PROVIDER)
    with serving(intake) as url:
        console.config["INTAKE_API_URL"] = f"{url}/api/v1"
        console.config["INTAKE_API_TOKEN"] = token
        console.config["INTAKE_API_TIMEOUT"] = 10
        yield Linked(intake, console, url, keys)


@pytest.fixture(name="linked")
def linked_fixture(app: Flask, console_app: Flask, provider_keys: ProviderKeys) -> Iterator[Linked]:
    yield from link(app, console_app, provider_keys)


class Page:
    """What a test reads from an HTTP answer (the part of werkzeug's TestResponse we use)."""

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status_code = status
        self.headers = dict(headers)
        self.location = self.headers.get("Location", "")
        self.data = body

    def get_data(self, as_text: bool = False) -> str | bytes:
        return self.data.decode("utf-8", "replace") if as_text else self.data


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the test sees the 303 itself, as Flask's test client does


class Browser:
    """A person's browser over real HTTP with a cookie jar: `get` and `post` like FlaskClient,
    so tests.referrer.Referrer and the console's accounts helpers can drive a served app."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirects()
        )

    def get(self, path: str) -> Page:
        return self._open(urllib.request.Request(self.base_url + path))

    def post(self, path: str, data: Mapping[str, object] | None = None) -> Page:
        body = urllib.parse.urlencode(data or {}, doseq=True).encode()
        return self._open(urllib.request.Request(self.base_url + path, data=body, method="POST"))

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            with self.opener.open(request, timeout=30) as answer:
                return Page(answer.status, answer.headers, answer.read())
        except urllib.error.HTTPError as answer:
            return Page(answer.code, answer.headers, answer.read())
