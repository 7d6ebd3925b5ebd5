"""Every standards page in Debian's Chromium: zero axe-core WCAG 2.2 AA violations, charts
styled only by the site's stylesheet (no CSP violation logged), no request to another host,
and no chart text overlapping other chart text at a phone's width or a desktop's.

Uses the live intake and the watched browser of tests/browser (imported fixtures); the
watch is checked at the end of each test, as tests/browser's own hook does for its tests.
"""

from __future__ import annotations

import os
import re
import time
from datetime import date
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect

from app import create_console_app
from app.disclosure import DisclosureRules, protect_one_way
from app.extensions import console_db, intake_db
from app.intake import recipients
from app.models.console import RecipientKeyRecord
from app.models.intake import Recipient
from app.return_contract import PROVIDER_TABLES
from app.standards.provider_returns import accept_provider_return
from crypto.custody import new_recovery_key, wrap_for_recovery
from crypto.keyfile import TEST_PARAMS
from crypto.keys import PrivateKey
from demo.fill import fill
from demo.run import DEMO_FUNDED_CAPACITY
from tests.browser import conftest as live
from tests.browser.accessibility import assert_no_axe_violations
from tests.browser.conftest import DESKTOP, PHONE, BrowserWatch, LiveIntake
from tests.console.conftest import console_settings
from tests.provider_signing import register_signed
from tests.standards.conftest import SETUP_LINK, add_referrals, cli, d, many

pytestmark = pytest.mark.browser
# tests/browser's live intake and watched Chromium, as fixtures of this module too.
chromium, browser, browser_watch = live.chromium, live.browser, live.browser_watch
neutral_url, live_intake = live.neutral_url, live.live_intake
PASSWORD = "a long and memorable passphrase"
# The README's screenshots (of the demo history) are refreshed only on request, so an ordinary
# run never rewrites committed files:
#   SAVE_SCREENSHOTS=1 pytest tests/standards/test_standards_browser.py
DOCS = Path(__file__).resolve().parents[2] / "docs"
SAVE_SCREENSHOTS = os.environ.get("SAVE_SCREENSHOTS") == "1"


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

        page.get_by_role("link", name="Released tables").click()
        check(page, "/standards/tables")
        page.get_by_label("Period", exact=True).select_option("2025-26 Q1")
        page.get_by_role("button", name="Show").click()
        check(page, "/standards/tables")
        charts = page.get_by_role("img", name=re.compile("^Bar chart: "))
        assert charts.count() >= 5
        # The stylesheet's chart font is in use (the chart carries no style of its own).
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


# Every pair of <text> boxes in each chart, as the browser lays them out: none may overlap.
OVERLAPS = """() => {
  const found = [];
  for (const svg of document.querySelectorAll("svg.app-chart")) {
    const boxes = [...svg.querySelectorAll("text")]
      .map(t => [t.textContent, t.getBoundingClientRect()]);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, p] = boxes[i], [b, q] = boxes[j];
        if (p.left < q.right - 0.5 && q.left < p.right - 0.5
            && p.top < q.bottom - 0.5 && q.top < p.bottom - 0.5) {
          found.push(`${svg.id}: "${a}" and "${b}"`);
        }
      }
    }
    const frame = svg.getBoundingClientRect();
    for (const [words, box] of boxes) {
      if (box.left < frame.left - 0.5 || box.right > frame.right + 0.5) {
        found.push(`${svg.id}: "${words}" leaves the chart`);
      }
    }
  }
  return found;
}"""
SMALLEST_TEXT = """() => Math.min(...[...document.querySelectorAll("svg.app-chart text")]
  .map(t => t.getBoundingClientRect().height))"""


@pytest.mark.parametrize("width", [320, 1280])
def test_the_commissioning_view_reads_at_a_phones_width_and_a_desktops(
    browser, browser_watch: BrowserWatch, live_intake: LiveIntake, width, tmp_path: Path
):
    seed(live_intake)
    size = PHONE if width == 320 else DESKTOP
    context = browser.new_context(base_url=live_intake, **size)
    context.set_default_timeout(10_000)
    browser_watch.attach(context)
    page = context.new_page()
    try:
        set_up_and_sign_in(page, live_intake)  # lands on the commissioning view
        expect(page.get_by_role("heading", level=1)).to_have_text("Demand and service levels")
        charts = page.locator("svg.app-chart")
        assert charts.count() == 4
        assert page.evaluate(OVERLAPS) == []
        # Readable: no chart text drawn smaller than about 11 px high, even at 320 px.
        assert page.evaluate(SMALLEST_TEXT) >= 11
        # Nothing wider than the screen: the page itself never scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot = tmp_path / f"commissioning-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 0

        page.get_by_role("link", name="Released tables").click()
        check(page, "/standards/tables")
        assert page.evaluate(OVERLAPS) == []
    finally:
        browser_watch.check()
        context.close()


@pytest.mark.skipif(not SAVE_SCREENSHOTS, reason="refreshes docs/ only when SAVE_SCREENSHOTS=1")
def test_the_readmes_screenshots_show_the_demo_history(
    browser, browser_watch: BrowserWatch, live_intake: LiveIntake, console_database_url: str
):
    app = live_intake.app
    app.config.update(ANALYST_ARGON2=TEST_PARAMS, FUNDED_CAPACITY=dict(DEMO_FUNDED_CAPACITY))
    key = PrivateKey.generate()
    with app.app_context():
        register_signed("Demo advisor service", key.public_key)
        for service in ("idva", "isva", "not_sure"):
            recipients.assign(service, "Demo advisor service")
    console = create_console_app(console_settings(console_database_url))
    with console.app_context():
        console_db.drop_all()
        console_db.create_all()
        console_db.session.add(RecipientKeyRecord(
            key_id=key.key_id, generation=1, public_key=key.public_key.to_bytes(),
            recovery_blob=wrap_for_recovery(key, new_recovery_key()),
        ))
        console_db.session.commit()
    try:
        assert fill(app, console, key, today=date(2026, 11, 25)) is not None
    finally:
        with console.app_context():
            console_db.session.remove()
            console_db.drop_all()
            console_db.engine.dispose()
    for width, size in ((320, PHONE), (1280, DESKTOP)):
        context = browser.new_context(base_url=live_intake, **size)
        context.set_default_timeout(10_000)
        browser_watch.attach(context)
        page = context.new_page()
        try:
            if width == 320:
                set_up_and_sign_in(page, live_intake)
                state = context.storage_state()
            else:
                context.close()
                context = browser.new_context(base_url=live_intake, storage_state=state, **size)
                browser_watch.attach(context)
                page = context.new_page()
                page.goto("/standards/")
            assert page.evaluate(OVERLAPS) == []
            # The two questions' answers, down to the second KPI: the rest is more of the same.
            end = page.get_by_role("heading", name=re.compile("^First contact attempted")).evaluate(
                "h => h.getBoundingClientRect().top + window.scrollY"
            )
            page.screenshot(
                path=str(DOCS / f"commissioning-{width}.png"),
                full_page=True,
                clip={"x": 0, "y": 0, "width": width, "height": end - 8},
            )
        finally:
            browser_watch.check()
            context.close()
