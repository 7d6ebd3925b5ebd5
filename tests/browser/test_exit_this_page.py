"""Exit this page (G7): the button with JavaScript on and off, and Shift pressed three times,
all end the session and land on the neutral site. Going back shows nothing that was typed;
with JavaScript on, Back does not show the service at all (issue 10)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserWatch, LiveIntake
from tests.browser.intake_pages import SCRIPTLESS, answer, press_continue

pytestmark = pytest.mark.browser

ACCOUNT = "Tell us what is happening, in your own words (optional)"
TYPED = "typed but never sent tonight"
SAVED: dict[str, dict[str, object]] = {
    "service": {"service": "isva"},
    "contact": {"name": "Rowan", "contact_method": "details"},
    "contact-details": {"phone": "07700 900461", "email": "hidden.inbox@example.org"},
}
SAVED_WORDS = ["07700 900461", "hidden.inbox@example.org", "Rowan", TYPED]


def answer_some_and_type_more(page: Page) -> None:
    """Save a few answers, then type on the next page without sending it."""
    for slug, data in SAVED.items():
        page.goto(f"/referral/{slug}")
        answer(page, data)
        press_continue(page)
    page.goto("/referral/what-happened")
    page.get_by_label(ACCOUNT).fill(TYPED)
    page.get_by_label("In the last 12 months").click()


def assert_left_without_a_trace(page: Page, neutral_url: str, live_intake: LiveIntake) -> None:
    page.wait_for_url(neutral_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Weather forecast")
    assert page.context.cookies(live_intake) == [], "the session cookie outlived the exit"

    if page.context in SCRIPTLESS:
        # Back: the page is fetched again (no-store, no back-forward cache) from a server that
        # no longer has the session, so neither saved nor typed answers come back.
        fetched: list[str] = []
        page.on("request", lambda request: fetched.append(request.url))
        page.go_back()
        page.wait_for_url("**/referral/what-happened")
        assert f"{live_intake}/referral/what-happened" in fetched, "it came back from a cache"
        expect(page.get_by_label(ACCOUNT)).to_have_value("")
        expect(page.locator("input:checked")).to_have_count(0)
        html = page.content()
        for words in SAVED_WORDS:
            assert words not in html
    else:
        # Back, and Back again: each service page reached through history leaves at once, so
        # someone checking the tab lands on the neutral site, never on a service page.
        for _ in range(3):
            page.go_back()
            page.wait_for_url(neutral_url)
            expect(page.get_by_role("heading", level=1)).to_have_text("Weather forecast")

    # Nothing saved either: the journey starts again at the first question.
    page.goto("/referral/check")
    page.wait_for_url("**/referral/service")
    expect(page.locator("input:checked")).to_have_count(0)
    html = page.content()
    for words in SAVED_WORDS:
        assert words not in html


def test_the_exit_button_ends_the_session_and_leaves(
    phone: Page, neutral_url: str, live_intake: LiveIntake, browser_watch: BrowserWatch
) -> None:
    # Back reaches a contact details page that no longer applies (404) before leaving again.
    browser_watch.allow_console_error(r"the server responded with a status of 404")
    answer_some_and_type_more(phone)
    phone.get_by_role("button", name="Emergency Exit this page").click()
    assert_left_without_a_trace(phone, neutral_url, live_intake)


def test_the_exit_button_is_a_plain_link_that_works_without_javascript(
    no_js: Page, neutral_url: str, live_intake: LiveIntake
) -> None:
    answer_some_and_type_more(no_js)
    button = no_js.locator(".govuk-exit-this-page__button")
    assert button.evaluate("element => element.tagName") == "A"
    expect(button).to_have_attribute("href", "/exit")
    button.click()
    assert_left_without_a_trace(no_js, neutral_url, live_intake)


def test_pressing_shift_three_times_ends_the_session_and_leaves(
    phone: Page, neutral_url: str, live_intake: LiveIntake, browser_watch: BrowserWatch
) -> None:
    browser_watch.allow_console_error(r"the server responded with a status of 404")
    answer_some_and_type_more(phone)
    phone.get_by_label(ACCOUNT).focus()
    for _ in range(3):
        phone.keyboard.press("Shift")
        phone.wait_for_timeout(150)
    assert_left_without_a_trace(phone, neutral_url, live_intake)


def test_two_shift_presses_do_not_leave(phone: Page) -> None:
    phone.goto("/referral/contact")
    for _ in range(2):
        phone.keyboard.press("Shift")
        phone.wait_for_timeout(150)
    expect(phone.locator(".govuk-exit-this-page [role=status]")).to_contain_text(
        "press 1 more time to exit"
    )
    assert phone.url.endswith("/referral/contact")
