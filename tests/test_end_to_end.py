"""The whole service, both deployments running as real HTTP servers on 127.0.0.1.

A provider's manager sets up the console and makes the provider key through the real pages;
intake registers its public key file and issues an API token on the command line; a referrer
sends a referral through the intake's pages; `flask console sync` fetches it over HTTP; an
advisor signs in (password + TOTP) and reads it; their reply and the workflow dates go back
over HTTP and the referrer sees them with the reference phrase. At the end the police side is
searched for what it must never hold (G2): the referral, the messages, the reply, any key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app import create_console_app
from app.extensions import console_db, intake_db
from app.models.console import Advisor, RecipientKeyRecord
from crypto.custody import WrappedAdvisorKey, open_with_recovery, unwrap_advisor_key
from crypto.keys import PrivateKey
from tests.conftest import POSTGRES, postgres_database
from tests.console.accounts_support import (
    Person,
    act,
    cli,
    create_provider_key,
    invite,
    setup_token,
)
from tests.console.conftest import PASSWORD, console_settings
from tests.database_scan import markers_at_rest, markers_in_tables
from tests.referrer import FULL_ANSWERS, Referrer
from tests.two_apps import Browser, serving

PROVIDER = "Riverside advisor service"
REFERRAL_MARKER = "E2E-ACCOUNT-MARKER-c41d"
MESSAGE_MARKER = "E2E-REFERRER-MESSAGE-c41d"
REPLY_MARKER = "E2E-ADVISOR-REPLY-c41d"
CASE_LINK = re.compile(r'href="/cases/([A-Za-z0-9_-]{16,32})"')
STATUS = re.compile(r'<strong class="govuk-tag">([^<]+)</strong>')


@pytest.fixture(scope="module")
def console_database(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, testrun_uid: str
) -> Iterator[str]:
    """The console's own database (this module's, so it never meets tests/console's)."""
    if POSTGRES:
        with postgres_database("e2e_console", worker_id, testrun_uid) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'console.sqlite'}"


@pytest.fixture
def console_app(console_database: str) -> Iterator[Flask]:
    console = create_console_app(console_settings(console_database))
    with console.app_context():
        console_db.create_all()
    yield console
    with console.app_context():
        console_db.session.remove()
        console_db.drop_all()
        console_db.engine.dispose()


class WebPerson(Person):
    """The console accounts helper's person, using a real browser instead of a test client."""

    def __init__(self, app: Flask, base_url: str, email: str) -> None:
        super().__init__(app, email)
        self.client = Browser(base_url)  # type: ignore[assignment]


def _ok(result: object) -> str:
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return result.output  # type: ignore[attr-defined]


def _provider_side(console: Flask, console_url: str) -> tuple[WebPerson, WebPerson, str]:
    """A manager, a granted advisor, and the recovery key shown once."""
    manager = WebPerson(console, console_url, "manager@provider.test")
    output = _ok(cli(console, "create-manager", manager.email, "Morgan Manager"))
    assert manager.set_up(setup_token(output)).status_code == 303
    assert manager.sign_in().status_code == 303
    recovery_key = create_provider_key(manager)
    advisor = WebPerson(console, console_url, "advisor@provider.test")
    assert advisor.set_up(invite(manager, advisor.email)).status_code == 303
    assert act(manager, advisor.email, "grant").status_code == 303
    assert advisor.sign_in().status_code == 303
    return manager, advisor, recovery_key


def _link_intake(intake: Flask, manager: WebPerson, tmp_path: Path) -> str:
    """The provider exports its signed key set; the intake operator pins the signing key's
    fingerprint (read out by phone) in intake's configuration, registers the set, checks the
    fingerprints it prints, and issues a token."""
    key_file = tmp_path / "provider-key-set.txt"
    exported = _ok(cli(manager.app, "export-key-set", str(key_file)))
    signing = re.search(r"signing key \(to pin\):  ([0-9A-F ]{39})", exported)
    newest = re.search(r"newest recipient key:  ([0-9A-F ]{39})", exported)
    assert signing and newest
    intake.config["PINNED_PROVIDER_KEYS"] = {PROVIDER: signing[1]}
    runner = intake.test_cli_runner()
    registered = _ok(runner.invoke(args=["recipients", "register", PROVIDER, str(key_file)]))
    assert signing[1] in registered and newest[1] in registered
    for service in ("idva", "isva", "not_sure"):
        _ok(runner.invoke(args=["recipients", "assign", service, PROVIDER]))
    result = runner.invoke(args=["tokens", "issue", PROVIDER])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def _sync(console: Flask) -> str:
    return _ok(console.test_cli_runner().invoke(args=["console", "sync"])).strip()


def _status(intake_url: str, phrase: str) -> tuple[str, str]:
    """The referrer comes back on a fresh browser: (status words, whole page)."""
    referrer = Referrer(Browser(intake_url))  # type: ignore[arg-type]
    assert referrer.sign_in(phrase).status_code == 303
    page = referrer.client.get("/status").get_data(as_text=True)
    found = STATUS.search(page)
    assert found, page[:2000]
    return found.group(1).strip(), page


def _progress(advisor: WebPerson, case_id: str, event: str) -> None:
    today = _today_parts()
    if event == "closed":
        data = {"reason": "support_completed", "on": today}
        response = advisor.post(f"/cases/{case_id}/close", data)
    else:
        response = advisor.post(f"/cases/{case_id}/progress", {"event": event, "on": today})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]


def _today_parts() -> list[str]:
    from app.console import sla

    day = sla.today()
    return [str(day.day), str(day.month), str(day.year)]


def _keys_held_by_provider(console: Flask, recovery_key: str) -> list[PrivateKey]:
    with console.app_context():
        record = console_db.session.scalars(sa.select(RecipientKeyRecord)).one()
        recipient = open_with_recovery(record.recovery_blob, recovery_key, record.key_id)
        people = console_db.session.scalars(sa.select(Advisor)).all()
        own_keys = [
            unwrap_advisor_key(WrappedAdvisorKey.from_bytes(p.wrapped_key), PASSWORD, p.id)
            for p in people
            if p.wrapped_key
        ]
    return [recipient, *own_keys]


def test_a_referral_reaches_an_advisor_and_the_reply_and_dates_reach_the_referrer(
    app: Flask, console_app: Flask, database_url: str, tmp_path: Path
) -> None:
    with serving(app) as intake_url, serving(console_app) as console_url:
        manager, advisor, recovery_key = _provider_side(console_app, console_url)
        console_app.config["INTAKE_API_URL"] = f"{intake_url}/api/v1"
        console_app.config["INTAKE_API_TOKEN"] = _link_intake(app, manager, tmp_path)

        # The referrer, in their own browser, over HTTP.
        answers = {slug: dict(page) for slug, page in FULL_ANSWERS.items()}
        answers["what-happened"]["account"] = f"It started with {REFERRAL_MARKER} last year."
        referrer = Referrer(Browser(intake_url))  # type: ignore[arg-type]
        phrase = referrer.refer(answers)
        assert _status(intake_url, phrase)[0] == "Received"

        assert _sync(console_app).startswith("1 new case, 0 new messages")

        inbox = advisor.client.get("/").get_data(as_text=True)
        case_ids = set(CASE_LINK.findall(inbox))
        assert len(case_ids) == 1, inbox[:3000]
        case_id = case_ids.pop()
        assert REFERRAL_MARKER in advisor.client.get(f"/cases/{case_id}").get_data(as_text=True)

        # The referrer writes; the advisor replies and acknowledges.
        again = Referrer(Browser(intake_url))  # type: ignore[arg-type]
        assert again.sign_in(phrase).status_code == 303
        assert again.send_message(MESSAGE_MARKER).status_code == 303
        assert "1 new message" in _sync(console_app)
        assert MESSAGE_MARKER in advisor.client.get(f"/cases/{case_id}").get_data(as_text=True)
        reply = advisor.post(f"/cases/{case_id}/reply", {"body": REPLY_MARKER})
        assert reply.status_code == 303, reply.get_data(as_text=True)[:3000]
        _progress(advisor, case_id, "acknowledged")
        assert "2 updates sent to intake" in _sync(console_app)
        words, page = _status(intake_url, phrase)
        assert words == "With an advisor"
        assert REPLY_MARKER in page and MESSAGE_MARKER in page

        _progress(advisor, case_id, "contact_made")
        _progress(advisor, case_id, "closed")
        assert "2 updates sent to intake" in _sync(console_app)
        assert _status(intake_url, phrase)[0] == "Closed"

    # G2: nothing the people wrote, and no private key, is anywhere on the police side.
    keys = _keys_held_by_provider(console_app, recovery_key)
    secrets: list[str | bytes] = [REFERRAL_MARKER, MESSAGE_MARKER, REPLY_MARKER]
    for key in keys:
        raw = key.to_bytes()
        secrets += [raw, raw[:-32], raw[-32:]]  # whole, ML-KEM part, X25519 part
    with app.app_context():
        intake_db.session.remove()
        assert markers_in_tables(intake_db.engine, secrets) == {}
        intake_db.engine.dispose()
    assert markers_at_rest(database_url, secrets) == {}
