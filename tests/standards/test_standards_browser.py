"""Every standards page in Debian's Chromium: zero axe-core WCAG 2.2 AA violations, charts
styled only through their CSP hashes (no CSP violation logged), no request to another host.

Uses the live intake and the watched browser of tests/browser (imported fixtures); the
watch is checked at the end of each test, as tests/browser's own hook does for its tests.
"""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from app.disclosure import DisclosureRules, protect_one_way
from app.extensions import intake_db
from app.models.intake import Recipient
from app.return_contract import PROVIDER_TABLES
from app.standards.provider_returns import accept_provider_return
from crypto.keyfile import TEST_PARAMS
from tests.browser import conftest as live
from tests.browser.accessibility import assert_no_axe_violations
from tests.browser.conftest import DESKTOP, PHONE, BrowserWatch, LiveIntake
from tests.standards.conftest import SETUP_LINK, add_referrals, cli, d, many

pytestmark = pytest.mark.browser
# tests/browser's live intake and watched Chromium, as fixtures of this module too.
chromium, browser, browser_watch = live.chromium, live.browser, live.browser_watch
neutral_url, live_intake = live.neutral_url, live.live_intake
PASSWORD = "a long and memorable passphrase"


def seed(live: LiveIntake) -> None:
    app = live.app
    app.config.update(ANALYST_ARGON2=TEST_PARAMS, FUNDED_CAPACITY={"2025-26": 180})
    for month in ("2025-05-02", "2025-08-04"):
        add_referrals(
            app,
            *many(24, received_on=d(month), acknowledged_on=d(month), first_contact_on=d(month)),
            *many(
                13,
                received_on=d(month),
                service="isva",
                closed_on=d(month),
                status="closed",
                closure_reason="support_completed",
            ),
            *many(
                11,
                received_on=d(month),
                service="not_sure",
                closed_on=d(month),
                status="closed",
                closure_reason="declined",
            ),
        )
    with app.app_context():
        provider = intake_db.session.query(Recipient).first()
        tables = {}
        for name, spec in PROVIDER_TABLES.items():
            counts = dict.fromkeys(spec.categories, 0)
            first, second = list(counts)[:2]
            counts.update({first: 25, second: 15})
            table = protect_one_way(counts, DisclosureRules())
            tables[name] = {"rows": dict(table.rows), "total": table.total}
        accept_provider_return(provider.id, "2025-26 Q1", tables, DisclosureRules())


def check(page: Page, path: str) -> None:
    page.wait_for_url(re.compile(re.escape(path) + r"(\?.*)?$"))
    assert_no_axe_violations(page)


def set_up_and_sign_in(page: Page, live: LiveIntake) -> None:
    result = cli(live.app, "create-analyst", "browser@dps.test", "Bea Browser")
    token = SETUP_LINK.search(result.output).group(1)

    page.goto(f"/standards/setup/{token}")
    check(page, f"/standards/setup/{token}")
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_label("Confirm your password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()

    check(page, "/standards/setup/two-factor")
    expect(page.get_by_role("img", name="QR code to add this account")).to_be_visible()
    secret = page.locator("#setup-key code").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from your app").fill(totp.now())
    page.get_by_role("button", name="Continue").click()

    check(page, "/standards/sign-in")
    page.get_by_role("button", name="Continue").click()  # nothing entered: the errors
    check(page, "/standards/sign-in")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    page.get_by_label("Email address").fill("browser@dps.test")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()

    check(page, "/standards/sign-in/code")
    # Setup used this step's code, and a code is never accepted twice: the next step's.
    page.get_by_label("Enter your security code").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    check(page, "/standards/")


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_standards_page_passes_axe_and_the_charts_break_no_csp_rule(
    browser, browser_watch: BrowserWatch, live_intake: LiveIntake, size
):
    seed(live_intake)
    context = browser.new_context(base_url=live_intake, **size)
    context.set_default_timeout(10_000)
    browser_watch.attach(context)
    page = context.new_page()
    try:
        browser_watch.allow_console_error(r"status of 404 \(NOT FOUND\)")  # the dead link's page
        page.goto("/standards/setup/not-a-real-link")
        check(page, "/standards/setup/not-a-real-link")

        set_up_and_sign_in(page, live_intake)

        page.get_by_label("Period", exact=True).select_option("2025-26 Q1")
        page.get_by_role("button", name="Show").click()
        check(page, "/standards/")
        charts = page.get_by_role("img", name=re.compile("^Bar chart: "))
        assert charts.count() >= 5
        # The chart's own styles applied: allowed by hash, so pygal's font is in use.
        font = charts.first.locator("text").first.evaluate("t => getComputedStyle(t).fontFamily")
        assert "arial" in font.lower()

        page.get_by_role("link", name="Release log").click()
        check(page, "/standards/releases")

        page.get_by_role("link", name="Sign out").click()
        check(page, "/standards/sign-in")
        expect(page.get_by_text("You have signed out.")).to_be_visible()
    finally:
        browser_watch.check()
        context.close()
