"""The provider console in Debian's Chromium: a manager sets up their account on the real
setup pages, signs in with a password and a real TOTP code, creates the provider key and works
cases, with zero axe-core WCAG 2.2 AA violations on every page, error pages included.

The console is served for real (CSRF on, Argon2 test parameters) on 127.0.0.1; the watched
browser of tests/browser fails the test on any console error, CSP violation, script error or
request to another host.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from werkzeug.serving import make_server

from app import create_console_app
from app.extensions import console_db
from app.models.console import RecipientKeyRecord
from app.web.privacy_logging import QuietRequestHandler
from crypto.keys import PrivateKey, PublicKey
from tests.browser.accessibility import assert_no_axe_violations
from tests.browser.conftest import DESKTOP, LOCAL_HOST, PHONE, BrowserWatch
from tests.browser.intake_pages import no_horizontal_scroll
from tests.console.accounts_support import cli, setup_token
from tests.console.case_factory import make_case
from tests.console.conftest import PASSWORD, console_settings

pytestmark = pytest.mark.browser

EMAIL = "manager@provider.test"
ERROR_STATUS = r"status of 40[34] \((FORBIDDEN|NOT FOUND)\)"


class LiveConsole(str):
    """The base URL of a running console (a str), with the Flask app behind it as `.app`."""

    app: Flask

    def __new__(cls, url: str, app: Flask) -> LiveConsole:
        live = super().__new__(cls, url)
        live.app = app
        return live


@pytest.fixture
def live_console(console_database_url: str) -> Iterator[LiveConsole]:
    app = create_console_app({**console_settings(console_database_url), "WTF_CSRF_ENABLED": True})
    with app.app_context():
        console_db.drop_all()
        console_db.create_all()
    server = make_server(LOCAL_HOST, 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield LiveConsole(f"http://{LOCAL_HOST}:{server.server_port}", app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with app.app_context():
            console_db.session.remove()
            console_db.drop_all()
            console_db.engine.dispose()


class Authenticator:
    """An authenticator app that never offers a code for a time step already used."""

    def __init__(self, secret: str) -> None:
        self.totp = pyotp.TOTP(secret)
        self.last_step = -1

    def next_code(self) -> str:
        step = max(int(time.time()) // 30, self.last_step + 1)
        self.last_step = step
        return self.totp.generate_otp(step)


def check(page: Page, path: str) -> None:
    page.wait_for_url(re.compile(re.escape(path) + r"(\?.*)?(#.*)?$"))
    assert_no_axe_violations(page)


def continue_(page: Page) -> None:
    page.get_by_role("button", name="Continue").click()


def set_up(page: Page, live: LiveConsole) -> Authenticator:
    result = cli(live.app, "create-manager", EMAIL, "Morgan Manager")
    assert result.exit_code == 0, result.output
    token = setup_token(result.output)

    page.goto(f"/setup/{token}")
    check(page, f"/setup/{token}")
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_label("Confirm your password").fill(PASSWORD)
    continue_(page)

    check(page, "/setup/two-factor")
    expect(page.get_by_role("img", name=re.compile("^QR code to add this account"))).to_be_visible()
    app = Authenticator(page.locator("#setup-key code").inner_text().replace(" ", ""))
    page.get_by_label("Code from your app").fill(app.next_code())
    continue_(page)
    check(page, "/sign-in")
    return app


def sign_in(page: Page, app: Authenticator) -> None:
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill("not the password at all")
    continue_(page)
    check(page, "/sign-in")  # the error shown
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    continue_(page)

    check(page, "/sign-in/code")
    wrong = next(code for code in ("000000", "111111") if not app.totp.verify(code, valid_window=2))
    page.get_by_label("Enter your security code").fill(wrong)
    continue_(page)
    check(page, "/sign-in/code")  # the wrong code's error
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    page.get_by_label("Enter your security code").fill(app.next_code())
    continue_(page)


def create_provider_key(page: Page, live: LiveConsole) -> PublicKey:
    check(page, "/team")  # a manager with no key yet lands here
    page.get_by_role("button", name="Create the provider key").click()
    check(page, "/team/keys")
    expect(page.locator("#recovery-key")).to_be_visible()
    page.get_by_role("link", name=re.compile("back to team and keys")).click()
    check(page, "/team")
    with live.app.app_context():
        record = console_db.session.query(RecipientKeyRecord).one()
        return PublicKey.from_bytes(record.public_key)


def add_cases(live: LiveConsole, recipient: PublicKey) -> dict[str, str]:
    received = date.today() - timedelta(days=2)
    return {
        "reply": make_case(
            live.app,
            recipient,
            received_on=received,
            referrer=PrivateKey.generate(),
            fields={"account": "It started last year."},
        ),
        "idva": make_case(live.app, recipient, received_on=received, fields={"service": "idva"}),
        "other": make_case(live.app, recipient, received_on=received - timedelta(days=1)),
        # Sealed to a key this provider never gave the manager: the 403 page.
        "foreign": make_case(live.app, PrivateKey.generate().public_key, received_on=received),
    }


def open_console(browser: Browser, watch: BrowserWatch, live: LiveConsole, size: dict) -> Page:
    context = browser.new_context(base_url=live, **size)
    context.set_default_timeout(10_000)
    watch.attach(context)
    # The error pages' own status line, logged by Chromium as a console error.
    watch.allow_console_error(ERROR_STATUS)
    return context.new_page()


def test_a_manager_works_a_case_in_the_console_with_no_accessibility_violations(
    browser: Browser, browser_watch: BrowserWatch, live_console: LiveConsole
):
    page = open_console(browser, browser_watch, live_console, DESKTOP)
    try:
        authenticator = set_up(page, live_console)
        sign_in(page, authenticator)
        recipient = create_provider_key(page, live_console)
        ids = add_cases(live_console, recipient)

        page.get_by_role("link", name="Cases", exact=True).click()
        check(page, "/")
        table = page.get_by_role("table")
        expect(table.get_by_role("row")).to_have_count(1 + 4)  # the foreign case is listed too
        page.get_by_label("Service").select_option("idva")
        page.get_by_role("button", name="Apply filters").click()
        check(page, "/")
        expect(page.get_by_role("table").get_by_role("row")).to_have_count(1 + 1)
        page.get_by_label("Service").select_option("")
        page.get_by_label("Assigned to").select_option("unassigned")
        page.get_by_role("button", name="Apply filters").click()
        check(page, "/")

        page.goto(f"/cases/{ids['reply']}")
        check(page, f"/cases/{ids['reply']}")
        expect(page.get_by_text("It started last year.")).to_be_visible()
        expect(page.get_by_text("07700 900982")).to_be_visible()

        page.get_by_role("link", name="Reply to the referrer").click()
        check(page, f"/cases/{ids['reply']}/reply")
        page.get_by_role("button", name="Send reply").click()  # empty: the errors
        check(page, f"/cases/{ids['reply']}/reply")
        expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your reply")
        page.get_by_label("Your reply").fill("Thank you. We will call on Tuesday.")
        page.get_by_role("button", name="Send reply").click()
        check(page, f"/cases/{ids['reply']}")
        expect(page.get_by_text("Thank you. We will call on Tuesday.")).to_be_visible()

        page.get_by_role("link", name="Add a note").click()
        check(page, f"/cases/{ids['reply']}/notes/new")
        page.get_by_label("Case note").fill("Left a message as agreed.")
        page.get_by_role("button", name="Save note").click()
        check(page, f"/cases/{ids['reply']}")
        expect(page.get_by_text("Left a message as agreed.")).to_be_visible()

        page.get_by_role("link", name="Record progress").click()
        check(page, f"/cases/{ids['reply']}/progress")
        page.get_by_label("The referral was acknowledged").check()
        page.get_by_role("button", name="Save").click()  # the date defaults to today
        check(page, f"/cases/{ids['reply']}")

        page.get_by_role("link", name="Close the case").click()
        check(page, f"/cases/{ids['reply']}/close")
        page.get_by_label("Support completed").check()
        page.get_by_role("button", name="Close the case").click()
        check(page, f"/cases/{ids['reply']}")
        expect(page.get_by_text("Why it closed")).to_be_visible()
        export = page.get_by_role("link", name="Download this case as text")
        expect(export).to_have_attribute("href", f"/cases/{ids['reply']}/export")

        page.goto(f"/cases/{ids['foreign']}")
        check(page, f"/cases/{ids['foreign']}")
        refused = page.get_by_role("heading", name="You do not have access to this case")
        expect(refused).to_be_visible()
        page.goto("/cases/not-a-case")
        check(page, "/cases/not-a-case")

        page.get_by_role("link", name="Team and keys").click()
        check(page, "/team")
        page.get_by_role("link", name="Statistical returns").click()
        check(page, "/returns")
        page.get_by_role("link", name="Sync").click()
        check(page, "/sync")
        page.get_by_role("link", name="Sign out").click()
        check(page, "/sign-in")
        expect(page.get_by_text("You have signed out.")).to_be_visible()
    finally:
        browser_watch.check()
        page.context.close()


def test_the_inbox_and_a_case_fit_a_320_pixel_screen(
    browser: Browser, browser_watch: BrowserWatch, live_console: LiveConsole
):
    page = open_console(browser, browser_watch, live_console, PHONE)
    try:
        sign_in(page, set_up(page, live_console))
        recipient = create_provider_key(page, live_console)
        ids = add_cases(live_console, recipient)
        page.goto("/")
        check(page, "/")
        no_horizontal_scroll(page)
        page.goto(f"/cases/{ids['reply']}")
        check(page, f"/cases/{ids['reply']}")
        no_horizontal_scroll(page)
    finally:
        browser_watch.check()
        page.context.close()
