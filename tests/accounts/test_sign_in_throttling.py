"""Sign-in without lock-out or enumeration (G8, issue 9 item 5), on both surfaces.

Every test drives the real pages over HTTP through Flask's test client, once for the console's
advisors and once for the standards surface's analysts. Clients at different addresses are
different test clients with their own REMOTE_ADDR. Time is a controlled clock, never a sleep.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pyotp
import pytest
from argon2 import PasswordHasher
from flask import Flask
from werkzeug.test import TestResponse

from app.accounts import passwords, throttle, totp, views
from app.accounts.flow import WRONG_DETAILS
from app.extensions import console_db, intake_db
from app.models.console import Advisor, AuditEntry
from app.models.standards import Analyst as AnalystRow
from crypto.keyfile import Argon2Params
from tests.console.accounts_support import Person, new_advisor, new_manager
from tests.console.conftest import console_app, provider_keys  # noqa: F401 - fixtures
from tests.standards.conftest import Analyst, new_analyst

ATTACKER = "203.0.113.66"
CSRF = re.compile(r'(name="csrf_token"(?: type="hidden")? value=")[^"]+(")')
OWASP_MINIMUM = Argon2Params(time_cost=2, memory_kib=19456, parallelism=1)

Driver = Person | Analyst


class Clock:
    """time.time for everything in the process (limits' memory store, sessions, TOTP)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    controlled = Clock()
    monkeypatch.setattr(time, "time", controlled)
    return controlled


@dataclass
class Surface:
    name: str
    app: Flask
    real: Driver  # a set-up account's owner, at their own client, signed out
    make: Callable[[Flask, str], Driver]
    prefix: str
    landing: str

    def at(self, email: str, address: str, password: str = "") -> Driver:
        """Someone typing `email` from the client at `address`."""
        driver = self.make(self.app, email)
        if password:
            driver.password = password
        driver.client.environ_base["REMOTE_ADDR"] = address
        return driver

    def set_hash(self, email: str, password_hash: str) -> None:
        model: Any = Advisor if self.name == "console" else AnalystRow
        db = console_db if self.name == "console" else intake_db
        with self.app.app_context():
            row = db.session.query(model).filter_by(email=email).one()
            row.password_hash = password_hash
            db.session.commit()

    @property
    def argon2_setting(self) -> str:
        return "ADVISOR_ARGON2" if self.name == "console" else "ANALYST_ARGON2"


@pytest.fixture(params=["console", "standards"])
def surface(request: pytest.FixtureRequest) -> Iterator[Surface]:
    if request.param == "console":
        app = request.getfixturevalue("console_app")
        manager = new_manager(app)
        manager.sign_in()
        yield Surface("console", app, new_advisor(manager), Person, "", "/no-access")
    else:
        app = request.getfixturevalue("analysts_app")
        yield Surface("standards", app, new_analyst(app), Analyst, "/standards", "/standards/")


def settings(app: Flask) -> throttle.Settings:
    with app.test_request_context():
        return throttle.Settings.from_config()


def errors(response: TestResponse) -> list[str]:
    html = response.get_data(as_text=True)
    found = re.findall(r'govuk-error-message">\s*<span[^>]*>Error:</span>\s*([^<]+)<', html)
    return [text.strip() for text in found]


def signs_in(surface: Surface, person: Driver) -> bool:
    """The whole sign-in, password and code, ends on a page only a signed-in person sees."""
    first = person.enter_password()
    if first.status_code != 303:
        return False
    second = person.enter_code()
    if second.status_code != 303 or second.headers["Location"] != surface.landing:
        return False
    return person.client.get(surface.landing).status_code == 200


def wrong_code(secret: str) -> str:
    valid = {pyotp.TOTP(secret).generate_otp(totp.current_step() + d) for d in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


# --- no lock-out ---------------------------------------------------------------------------------


def test_an_attackers_wrong_passwords_from_another_client_never_stop_the_real_person_signing_in(
    surface: Surface, clock: Clock
) -> None:
    # The clock stands still: limits count in windows aligned to the clock (G10), and a
    # window's end must not fall inside these 200 attempts.
    attacker = surface.at(surface.real.email, ATTACKER)
    answers = [attacker.enter_password(f"guess number {i}!").status_code for i in range(200)]

    limits = settings(surface.app)
    assert answers[: limits.free + 1] == [200] * (limits.free + 1)  # checked, and wrong
    assert set(answers[limits.free + 1 :]) == {429}  # the attacker's client now waits
    assert signs_in(surface, surface.real)


def test_wrong_passwords_from_many_clients_never_stop_the_real_person_either(
    surface: Surface,
) -> None:
    limits = settings(surface.app)
    attackers = [surface.at(surface.real.email, f"198.51.100.{n}") for n in range(40)]
    for attacker in attackers:
        for _ in range(3):
            attacker.enter_password("not the password at all")
    assert limits.budget < 40 * 3

    # Past the address's budget, a client that has failed already waits out the window...
    assert attackers[0].enter_password("one more guess please").status_code == 429
    # ...while a client that has not failed still gets its attempt checked: the real person.
    assert signs_in(surface, surface.real)


def test_the_attackers_client_waits_longer_after_each_failure_and_may_try_again_after(
    surface: Surface, clock: Clock
) -> None:
    attacker = surface.at(surface.real.email, ATTACKER)
    for _ in range(settings(surface.app).free + 1):
        assert errors(attacker.enter_password("a wrong password")) == [WRONG_DETAILS]
    waits = []
    for _ in range(4):
        refused = attacker.enter_password("a wrong password")
        assert refused.status_code == 429
        assert errors(refused)[0].startswith("There have been too many attempts. Wait")
        waits.append(int(refused.headers["Retry-After"]))
        clock.advance(waits[-1])
        assert errors(attacker.enter_password("a wrong password")) == [WRONG_DETAILS]
    assert waits == [2, 4, 8, 16]


def test_a_full_sign_in_starts_the_clients_count_again(surface: Surface) -> None:
    for _ in range(settings(surface.app).free):
        surface.real.enter_password("a mistyped password")
    assert signs_in(surface, surface.real)
    surface.real.client.get(f"{surface.prefix}/sign-out")
    for _ in range(settings(surface.app).free):
        assert errors(surface.real.enter_password("mistyped again!!")) == [WRONG_DETAILS]


# --- no enumeration ------------------------------------------------------------------------------


def comparable(response: TestResponse, email: str) -> tuple[int, list[tuple[str, str]], str]:
    """Status, headers and page with the CSRF token, the cookie's value and the typed email
    taken out: what would differ between any two requests, account or not."""
    headers = [
        (name, re.sub(r"=[^;]*;", "=...;", value, count=1) if name == "Set-Cookie" else value)
        for name, value in response.headers
    ]
    page = CSRF.sub(r"\1...\2", response.get_data(as_text=True)).replace(email, "EMAIL")
    return response.status_code, headers, page


def test_unknown_and_known_emails_give_byte_identical_responses(surface: Surface) -> None:
    known = surface.real.email
    unknown = known.replace("@", "x@", 1)[1:]  # the same length, no account
    assert len(unknown) == len(known)
    at_known = surface.at(known, "192.0.2.10")
    at_unknown = surface.at(unknown, "192.0.2.20")

    for attempt in range(settings(surface.app).free + 3):  # checked, then waiting
        wrong = at_known.enter_password("not the password at all")
        nobody = at_unknown.enter_password("not the password at all")
        assert comparable(wrong, known) == comparable(nobody, unknown), attempt
    assert wrong.status_code == 429


def test_unknown_and_known_emails_cost_the_same_argon2id_work_and_similar_time(
    surface: Surface, monkeypatch: pytest.MonkeyPatch
) -> None:
    surface.app.config[surface.argon2_setting] = OWASP_MINIMUM
    surface.set_hash(surface.real.email, passwords.hash_password("whatever it was", OWASP_MINIMUM))
    verified: list[int] = []
    original = PasswordHasher.verify
    monkeypatch.setattr(
        PasswordHasher, "verify", lambda self, h, p: verified.append(1) or original(self, h, p)
    )

    def timed(email: str, n: int) -> float:
        before = len(verified)
        started = time.perf_counter()
        page = surface.at(email, f"192.0.2.{n}").enter_password("not the password at all")
        took = time.perf_counter() - started
        assert errors(page) == [WRONG_DETAILS] and len(verified) - before == 1
        return took

    timed("warm@up.test", 1)  # the dummy hash is made once, on first use
    known, unknown = [], []
    for n in range(7):
        known.append(timed(surface.real.email, 10 + n))
        unknown.append(timed(f"nobody{n}@nowhere.test", 30 + n))
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2, (known, unknown)


# --- the second factor ---------------------------------------------------------------------------


def test_totp_guesses_are_bounded_even_with_the_right_password(
    surface: Surface, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[int] = []
    original = totp.matching_step
    monkeypatch.setattr(totp, "matching_step", lambda *args: checked.append(1) or original(*args))
    attacker = surface.at(surface.real.email, ATTACKER, password=surface.real.password)
    attacker.secret = "the attacker does not have it"
    code_page = f"{surface.prefix}/sign-in/code"
    started = clock.now
    posts = 0
    while clock.now - started < 3600:
        posts += 1
        if attacker.client.get(code_page).status_code != 200:
            answer = attacker.enter_password()
        else:
            answer = attacker.enter_code(wrong_code(surface.real.secret))
        if answer.status_code == 429:
            clock.advance(int(answer.headers["Retry-After"]))
        else:
            clock.advance(1)

    # Four windows of a quarter of an hour; in each, three free failures and then a wait
    # that doubles (2 s, 4 s ... 512 s) until the window ends: at most 12 codes a window.
    assert posts > 100
    assert 0 < len(checked) <= 4 * 12
    assert signs_in(surface, surface.real)


def test_three_wrong_codes_need_the_password_again(surface: Surface) -> None:
    person = surface.real
    assert person.enter_password().status_code == 303
    for _ in range(views.CODES_PER_PASSWORD - 1):
        assert person.enter_code(wrong_code(person.secret)).status_code == 200
    sent_back = person.enter_code(wrong_code(person.secret))
    assert sent_back.status_code == 303
    assert sent_back.headers["Location"] == f"{surface.prefix}/sign-in"
    assert person.client.get(f"{surface.prefix}/sign-in/code").status_code == 302


# --- the console's audit log ---------------------------------------------------------------------


def audit_entries(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = console_db.session.query(AuditEntry).order_by(AuditEntry.seq).all()
        return [(row.action, row.subject) for row in rows]


def test_failed_sign_ins_never_grow_the_console_audit_log_without_bound(
    console_app: Flask,  # noqa: F811 - the fixture imported above
) -> None:
    manager = new_manager(console_app)
    before = audit_entries(console_app)
    for n in range(100):
        stranger = Person(console_app, f"nobody{n}@provider.test")
        stranger.client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"
        stranger.enter_password("not the password at all")
    assert audit_entries(console_app) == before  # unknown addresses: counted, never logged

    for n in range(100):
        attacker = Person(console_app, manager.email)
        attacker.client.environ_base["REMOTE_ADDR"] = f"203.0.113.{n}"
        attacker.enter_password("not the password at all")
    added = audit_entries(console_app)[len(before) :]
    assert added == [("sign_in_throttled", manager.email)]  # one summary per window

    assert manager.sign_in().status_code == 303
    action, subject = audit_entries(console_app)[-1]
    assert (action, subject) == ("sign_in", manager.email)
    with console_app.app_context():
        last = console_db.session.query(AuditEntry).order_by(AuditEntry.seq.desc()).first()
        assert last is not None and last.detail.startswith("100 failed attempts")


# --- what the throttle keeps ---------------------------------------------------------------------


def test_the_throttle_keeps_only_keyed_hashes_never_an_address_or_an_email(
    surface: Surface,
) -> None:
    attacker = surface.at(surface.real.email, ATTACKER)
    for _ in range(settings(surface.app).free + 2):
        attacker.enter_password("not the password at all")
    assert signs_in(surface, surface.real)

    stored = surface.app.extensions[throttle.EXTENSION].storage  # the memory store's dict
    keys = " ".join(stored)
    assert stored and re.fullmatch(r"(sign-in:[a-z]+:[0-9a-f]{32} ?)+", keys + " ")
    for secret in (ATTACKER, "127.0.0.1", surface.real.email, surface.real.email.split("@")[0]):
        assert secret not in keys
