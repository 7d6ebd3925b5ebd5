"""axe-core finds no WCAG 2.2 A/AA violation on any intake page, errors shown or not, and the
keyboard basics hold: the skip link comes first, and a failed submit focuses the error summary."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE, BrowserWatch, LiveIntake
from tests.browser.intake_pages import (
    MINIMAL_ANSWERS,
    answer,
    check_page,
    fill_in,
    press_continue,
    sign_in,
)
from tests.referrer import Referrer

pytestmark = pytest.mark.browser

INFORMATION_PAGES = ["/", "/safety", "/privacy", "/accessibility", "/return", "/deleted"]
DEVICES = {"phone": PHONE, "desktop": DESKTOP}


def forge(page: Page, name: str, value: str = "forged") -> None:
    """Make the first option of a choice send a value the page never offered."""
    page.locator(f'input[name="{name}"]').first.evaluate(
        "(input, value) => { input.value = value; input.checked = true; }", value
    )


def nothing(page: Page) -> None:
    """Leave the page as it is: send it empty."""


CONTACT_DETAILS = {"contact": {"name": "Sam", "contact_method": "details"}}

# (slug, answers needed to reach it, how to get it wrong, an error message it then shows)
BROKEN: dict[str, tuple[str, dict[str, dict[str, object]], Callable[[Page], object], str]] = {
    "service-nothing-chosen": (
        "service",
        {},
        nothing,
        "Select the kind of support you want",
    ),
    "contact-nothing-chosen": (
        "contact",
        {},
        nothing,
        "Select how the advisor should contact you",
    ),
    "contact-details-nothing-given": (
        "contact-details",
        CONTACT_DETAILS,
        nothing,
        "Enter a phone number or an email address",
    ),
    "contact-details-bad-phone-and-email": (
        "contact-details",
        CONTACT_DETAILS,
        lambda page: answer(page, {"phone": "call me", "email": "not an address"}),
        "Enter an email address in the correct format",
    ),
    "name-empty": (
        "contact",
        {},
        lambda page: answer(page, {"contact_method": "phrase_only"}),
        "Enter a first name or another name we can call you",
    ),
    "role-forged": ("role", {}, lambda page: forge(page, "role_group"), "Select your role"),
    "connection-forged": (
        "connection",
        {},
        lambda page: forge(page, "police_connected"),
        "Select whether the person is connected to the police",
    ),
    "what-happened-too-long": (
        "what-happened",
        {"service": {"service": "isva"}},
        lambda page: answer(page, {"account": "x" * 1001}),
        "Your account must be 1000 characters or fewer",
    ),
    "urgency-forged": (
        "service",
        {},
        lambda page: (answer(page, {"service": "idva"}), forge(page, "urgency")),
        "Select from the options shown",
    ),
    "access-needs-too-long": (
        "access-needs",
        {},
        lambda page: answer(page, {"access_needs": "y" * 301}),
        "Your answer must be 300 characters or fewer",
    ),
    "confidentiality-not-confirmed": (
        "confidentiality",
        {},
        nothing,
        "Confirm you understand how your referral will be kept confidential",
    ),
    "equality-forged": (
        "equality",
        {},
        lambda page: forge(page, "ethnicity"),
        "Select your ethnic group",
    ),
}


def assert_error_summary_works(page: Page, message: str) -> None:
    """The summary is focused, says what is wrong, and each link leads to its field."""
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(message)
    assert page.title().startswith("Error: ")
    links = summary.locator("a")
    targets = [href.removeprefix("#") for href in links.evaluate_all("ls => ls.map(l => l.hash)")]
    assert targets, "the error summary links to no field"
    for target in targets:
        assert page.locator(f"#{target}").count() == 1, f"error link to missing #{target}"
    links.first.click()
    expect(page.locator(f"#{targets[0]}")).to_be_focused()


@pytest.mark.parametrize("case", list(BROKEN))
def test_each_question_page_with_errors_has_no_violations(phone: Page, case: str) -> None:
    slug, before, break_it, message = BROKEN[case]
    fill_in(phone, before)
    phone.goto(f"/referral/{slug}")
    break_it(phone)
    press_continue(phone)
    assert phone.url.endswith(f"/referral/{slug}")
    assert_error_summary_works(phone, message)
    check_page(phone)


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_information_pages_have_no_violations(open_page: Callable[..., Page], device: str) -> None:
    page = open_page(**DEVICES[device])
    for path in INFORMATION_PAGES:
        page.goto(path)
        check_page(page)


def test_return_page_with_errors_has_no_violations(phone: Page) -> None:
    phone.goto("/return")
    press_continue(phone)
    assert_error_summary_works(phone, "Enter your reference phrase")
    check_page(phone)
    sign_in(phone, "abandon ability able about above absent absorb abstract")
    assert_error_summary_works(phone, "We could not find a referral with that reference phrase")
    check_page(phone)
    sign_in(phone, "abandon ability able")
    assert_error_summary_works(phone, "Your reference phrase should be 8 words")
    check_page(phone)


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_check_your_answers_and_the_sent_pages_have_no_violations(
    open_page: Callable[..., Page], device: str
) -> None:
    page = open_page(**DEVICES[device])
    fill_in(page, MINIMAL_ANSWERS)
    page.goto("/referral/check")
    expect(page.locator(".govuk-summary-list").first).to_contain_text("Alex")
    check_page(page)

    press_continue(page, "Send my referral")
    assert page.locator(".app-phrase__word").count() == 8
    check_page(page)  # the reference phrase, shown once

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your reference phrase has already been shown"
    )
    check_page(page)


def test_status_delete_and_deleted_pages_have_no_violations(
    phone: Page, live_intake: LiveIntake
) -> None:
    phrase = Referrer(live_intake.app.test_client()).refer()
    phone.goto("/return")
    sign_in(phone, phrase)
    phone.wait_for_url("**/status")
    check_page(phone)

    press_continue(phone, "Send message")
    assert_error_summary_works(phone, "Enter your message")
    check_page(phone)

    phone.get_by_label("Send a message to your advisor").fill("Hello")
    press_continue(phone, "Send message")
    expect(phone.get_by_text("Your message has been sent")).to_be_visible()
    check_page(phone)

    phone.get_by_role("link", name="Delete your referral and all your messages").click()
    phone.wait_for_url("**/status/delete")
    check_page(phone)
    press_continue(phone, "Yes, delete my referral")
    phone.wait_for_url("**/deleted")
    check_page(phone)


def test_error_pages_have_no_violations(phone: Page, browser_watch: BrowserWatch) -> None:
    browser_watch.allow_console_error(r"the server responded with a status of 40[034]")

    phone.goto("/no-such-page")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Page not found")
    check_page(phone)

    phone.goto("/status")  # not signed in
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "You need to enter your reference phrase"
    )
    check_page(phone)

    phone.goto("/referral/contact")
    answer(phone, {"name": "Sam"})
    phone.locator('input[name="csrf_token"]').evaluate("input => input.remove()")
    press_continue(phone)
    expect(phone.get_by_role("heading", level=1)).to_have_text("This page has expired")
    check_page(phone)
    assert "Sam" not in phone.content()


def test_the_skip_link_is_the_first_thing_the_keyboard_reaches(phone: Page) -> None:
    for path in ["/", "/referral/service", "/return"]:
        phone.goto(path)
        phone.keyboard.press("Tab")
        skip = phone.locator(":focus")
        expect(skip).to_have_text("Skip to main content")
        expect(skip).to_have_attribute("href", "#main-content")
        phone.keyboard.press("Enter")
        expect(phone.locator("#main-content")).to_be_focused()
