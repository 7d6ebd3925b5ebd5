"""A short way through (issue 10): with JavaScript off on a 320 px phone, someone who answers
only what is required reaches their reference phrase in at most 8 screens, start page and
phrase page included, on either route. axe checks every page on the way; the optional
questions stay on offer; /return shows all 8 words at once.

A screen is every page the browser shows, counted from its navigations. Sending quickly
without JavaScript stops on the proof-of-work wait page (app/web/proof_of_work.py), which
needs a "Continue": the count includes it, the worst case, by making the wait long when the
person sends and over by the time they continue.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from playwright.sync_api import Page, expect

from crypto.phrase import WORDLIST
from tests.browser.conftest import LiveIntake
from tests.browser.intake_pages import (
    MINIMAL_ANSWERS,
    Tour,
    fill_in_journey,
    press_continue,
)

pytestmark = pytest.mark.browser

MAX_SCREENS = 8
WITH_CONTACT_DETAILS: dict[str, dict[str, object]] = {
    "service": {"service": "idva"},
    "contact": {"name": "Alex", "contact_method": "details"},
    "contact-details": {"phone": "07700 900982"},
    "confidentiality": {"consent": "y"},
}


def screens_to_phrase(
    page: Page, live_intake: LiveIntake, answers: Mapping[str, Mapping[str, object]]
) -> list[str]:
    """Walk the required pages from the start page and send at once; return each screen."""
    tour = Tour(page)
    fill_in_journey(tour, answers)
    # The optional questions are offered here, with sending now beside them.
    expect(page.get_by_role("link", name="Answer the optional questions")).to_be_visible()
    expect(page.get_by_role("button", name="Send my referral")).to_be_visible()
    live_intake.app.config["PROOF_OF_WORK_WAIT_SECONDS"] = 600
    press_continue(page, "Send my referral")
    tour.arrive("/referral/check")
    expect(page.get_by_role("heading", level=1)).to_have_text("Wait a moment, then continue")
    live_intake.app.config["PROOF_OF_WORK_WAIT_SECONDS"] = 0  # the wait is over
    press_continue(page)
    tour.arrive("/referral/sent")
    assert page.locator(".app-phrase__word").count() == 8
    tour.assert_every_page_checked()
    return tour.visited


def test_someone_who_gives_contact_details_reaches_their_phrase_in_8_screens_or_fewer(
    no_js: Page, live_intake: LiveIntake
) -> None:
    screens = screens_to_phrase(no_js, live_intake, WITH_CONTACT_DETAILS)
    assert len(screens) <= MAX_SCREENS, screens
    expect(no_js.get_by_text("An advisor will try to call or email you")).to_be_visible()


def test_someone_who_gives_no_contact_details_reaches_their_phrase_in_8_screens_or_fewer(
    no_js: Page, live_intake: LiveIntake
) -> None:
    screens = screens_to_phrase(no_js, live_intake, MINIMAL_ANSWERS)
    assert len(screens) <= MAX_SCREENS - 1, screens  # one page fewer: no contact details
    expect(no_js.get_by_text("Nobody will call or email you")).to_be_visible()


def test_the_return_page_shows_all_8_words_at_once_on_a_320_px_phone(no_js: Page) -> None:
    longest = sorted(WORDLIST, key=len, reverse=True)[:8]
    no_js.goto("/return")
    box = no_js.get_by_label("Enter your reference phrase")
    box.fill(" ".join(longest))
    sizes = box.evaluate(
        """(box) => ({scroll: box.scrollHeight, client: box.clientHeight,
                      scrollWidth: box.scrollWidth, clientWidth: box.clientWidth,
                      right: box.getBoundingClientRect().right})"""
    )
    # Every word in view: nothing scrolled out of the box, and the box is on the screen.
    assert sizes["scroll"] <= sizes["client"], sizes
    assert sizes["scrollWidth"] <= sizes["clientWidth"], sizes
    assert sizes["right"] <= 320, sizes
