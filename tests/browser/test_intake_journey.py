"""The whole intake in a real browser on a 320 px phone, with JavaScript on and off (G7):
every question page, check your answers, the reference phrase, signing back in with it, and
a message. axe-core checks every page shown."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.intake_pages import (
    Tour,
    fill_in_journey,
    press_continue,
    send_referral,
    sign_in,
)

pytestmark = pytest.mark.browser

MESSAGE = "Please call after 6pm on weekdays."


def whole_journey(page: Page) -> None:
    tour = Tour(page)
    shown = fill_in_journey(tour)

    answers = "\n".join(page.locator(".govuk-summary-list").all_inner_texts())
    for words in shown:
        assert words in answers, f"{words!r} is not on check your answers"

    phrase = send_referral(tour)

    page.get_by_role("main").get_by_role("link", name="Return with your reference phrase").click()
    tour.arrive("/return")
    sign_in(page, " ".join(phrase))
    tour.arrive("/status")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Received")
    expect(page.get_by_text("There are no messages yet.")).to_be_visible()

    page.get_by_label("Send a message to your advisor").fill(MESSAGE)
    press_continue(page, "Send message")
    tour.arrive("/status")
    expect(page.get_by_text("Your message has been sent")).to_be_visible()
    expect(page.locator(".app-message__body")).to_have_text([MESSAGE])
    expect(page.locator(".app-message__meta")).to_contain_text(["You"])

    tour.assert_every_page_checked()


def test_a_person_refers_themselves_and_sends_a_message_on_a_phone(phone: Page) -> None:
    whole_journey(phone)


def test_the_whole_journey_works_with_javascript_off(no_js: Page) -> None:
    whole_journey(no_js)
    # Nothing was enhanced: no GOV.UK Frontend component started.
    assert no_js.locator("[data-govuk-exit-this-page-init]").count() == 0
    assert no_js.locator("[data-govuk-character-count-init]").count() == 0
    no_js.goto("/referral/what-happened")
    assert no_js.locator("textarea#account").count() == 1
    assert no_js.locator(".govuk-character-count__status").count() == 0


def test_components_are_enhanced_when_javascript_is_on(phone: Page) -> None:
    phone.goto("/referral/what-happened")
    expect(phone.locator("[data-govuk-exit-this-page-init]")).to_have_count(1)
    expect(phone.locator("[data-govuk-character-count-init]")).to_have_count(1)
    phone.get_by_label("Tell us what is happening, in your own words (optional)").fill("Hello")
    expect(phone.locator(".govuk-character-count__status")).to_contain_text(
        "995 characters remaining"
    )
