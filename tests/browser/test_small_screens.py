"""Every intake page fits a 320 px wide screen without scrolling sideways (G7, WCAG 1.4.10),
with the longest answers the form takes: on a phone, and on a 1280 px desktop zoomed to 400%
(320 CSS pixels). The journey tests check the pages with JavaScript off at 320 px too."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from crypto.phrase import WORDLIST
from tests.browser.conftest import PHONE, BrowserWatch
from tests.browser.intake_pages import answer, no_horizontal_scroll, press_continue, sign_in

pytestmark = pytest.mark.browser

DEVICES = {
    "phone": PHONE,
    # 1280 x 1024 at 400% zoom is a 320 x 256 CSS pixel viewport.
    "desktop-at-400%": {"viewport": {"width": 320, "height": 256}, "device_scale_factor": 4},
}

EMAIL_254 = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".org"
# The required pages, then the optional ones (offered from check your answers).
LONGEST_ANSWERS: dict[str, dict[str, object]] = {
    "service": {"service": "not_sure", "urgency": ["urgent", "safety", "children", "court"]},
    "contact": {"name": "N" * 60, "contact_method": "details"},
    "contact-details": {
        "phone": "+44 (0)7700 900 9821",
        "email": EMAIL_254,
        "safe_to_call": "yes",
        "safe_times": "w" * 200,
        "voicemail": "name_and_service",
        "safe_to_text": "yes",
        "someone_else_answers": "s" * 200,
    },
    "confidentiality": {"consent": "y"},
    "role": {"role_group": "volunteer"},
    "connection": {"police_connected": "not_sure"},
    "what-happened": {"account": "x" * 1000, "recent": "non_recent", "reported": "dps"},
    "access-needs": {"access_needs": "z" * 300},
    "equality": {
        "disability": "yes_not_at_all",
        "marital_status": "separated",
        "ethnicity": "mixed_white_black_caribbean",
    },
}
LONGEST_WORDS = sorted(WORDLIST, key=len, reverse=True)[:8]
INFORMATION_PAGES = ["/", "/safety", "/privacy", "/accessibility", "/return", "/deleted"]


def fits(page: Page) -> None:
    """No sideways scrolling, and the Exit this page button is there and on screen."""
    no_horizontal_scroll(page)
    exit_button = page.locator(".govuk-exit-this-page__button")
    expect(exit_button).to_be_visible()
    box = exit_button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320, box


@pytest.mark.parametrize("device", list(DEVICES))
def test_every_intake_page_fits_320_css_pixels(
    open_page: Callable[..., Page], browser_watch: BrowserWatch, device: str
) -> None:
    browser_watch.allow_console_error(r"the server responded with a status of 404")
    page = open_page(**DEVICES[device])

    for path in [*INFORMATION_PAGES, "/no-such-page"]:
        page.goto(path)
        fits(page)

    page.goto("/")
    page.get_by_role("button", name="Start now").click()
    for slug, data in LONGEST_ANSWERS.items():
        page.wait_for_url(f"**/referral/{slug}")
        fits(page)
        if slug in ("service", "contact-details"):
            press_continue(page)  # nothing answered: the page with its errors
            expect(page.locator(".govuk-error-summary")).to_be_visible()
            fits(page)
        answer(page, data)
        press_continue(page)
        if slug == "confidentiality":
            page.wait_for_url("**/referral/check")
            fits(page)
            page.get_by_role("link", name="Answer the optional questions").click()

    page.wait_for_url("**/referral/check")
    summary = page.locator(".govuk-summary-list")
    expect(summary.first).to_contain_text(EMAIL_254)
    expect(summary.last).to_contain_text("x" * 1000)
    fits(page)

    press_continue(page, "Send my referral")
    page.wait_for_url("**/referral/sent")
    fits(page)
    phrase = " ".join(page.locator(".app-phrase__word").all_inner_texts())
    words = page.locator(".app-phrase__word")
    for index, word in enumerate(LONGEST_WORDS):
        words.nth(index).evaluate("(element, word) => { element.textContent = word; }", word)
    expect(words).to_have_text(LONGEST_WORDS)
    fits(page)

    page.goto("/return")
    sign_in(page, phrase)
    page.wait_for_url("**/status")
    page.get_by_label("Send a message to your advisor").fill("m" * 2000)
    press_continue(page, "Send message")
    expect(page.locator(".app-message__body")).to_have_text(["m" * 2000])
    fits(page)

    page.get_by_role("link", name="Delete your referral and all your messages").click()
    page.wait_for_url("**/status/delete")
    fits(page)
