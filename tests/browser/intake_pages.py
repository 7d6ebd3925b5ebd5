"""Steps a person takes through the intake in a real browser, shared by the browser tests."""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping

from playwright.sync_api import BrowserContext, Page

from app.questionnaire.journey import BY_SLUG, OPTIONAL_STEPS
from tests.browser.accessibility import assert_no_axe_violations
from tests.referrer import FULL_ANSWERS
from tests.referrer import MINIMAL_ANSWERS as MINIMAL_ANSWERS  # re-exported for the tests

# Words that must never be in a tab title someone else might glance at (G7).
REVEALING_TITLE_WORDS = re.compile(r"abuse|violence|rape|sexual|domestic|idva|isva", re.I)


# Contexts with JavaScript off. axe-core cannot run in them (its promises never settle), so
# their pages are checked as a copy, scripts removed, in a context with JavaScript on.
SCRIPTLESS: weakref.WeakSet[BrowserContext] = weakref.WeakSet()
_COPIES: weakref.WeakKeyDictionary[BrowserContext, Page] = weakref.WeakKeyDictionary()


class Tour:
    """Follows one tab, runs axe on each page it shows, and knows which pages it skipped."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.visited: list[str] = []
        self.checked: set[str] = set()
        page.on("framenavigated", self._navigated)

    def _navigated(self, frame: object) -> None:
        if frame == self.page.main_frame:
            self.visited.append(self.page.url.split("#")[0])

    def arrive(self, path: str) -> Page:
        """Wait until the tab shows `path`, then check the page: axe and a neutral title."""
        self.page.wait_for_url(f"**{path}")
        check_page(self.page)
        if self.page.viewport_size == {"width": 320, "height": 640}:
            no_horizontal_scroll(self.page)
        self.checked.add(self.page.url.split("#")[0])
        return self.page

    def assert_every_page_checked(self) -> None:
        missed = [url for url in self.visited if url not in self.checked]
        assert not missed, f"pages shown but not checked: {missed}"


def check_page(page: Page) -> None:
    title = page.title()
    assert not REVEALING_TITLE_WORDS.search(title), f"revealing title {title!r} on {page.url}"
    if page.context in SCRIPTLESS:
        _axe_on_copy(page)
    else:
        assert_no_axe_violations(page)


def _axe_on_copy(page: Page) -> None:
    """axe on the DOM a page without JavaScript shows, served again at the same address."""
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.S)
    copy = _COPIES.get(page.context)
    if copy is None:
        browser = page.context.browser
        assert browser is not None
        copy = browser.new_context(viewport=page.viewport_size).new_page()
        _COPIES[page.context] = copy
    copy.unroute_all()
    copy.route(
        page.url,
        lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html),
    )
    copy.goto(page.url)
    assert copy.evaluate("document.querySelectorAll('script').length") == 0
    assert_no_axe_violations(copy)


def close_copy(context: BrowserContext) -> None:
    copy = _COPIES.pop(context, None)
    if copy is not None:
        copy.context.close()


def press_continue(page: Page, name: str = "Continue") -> None:
    """Submit the form and wait until the next page has loaded, styles and all (the address
    may not change: a page with errors, or a message sent from the status page)."""
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


# Each control named `name`: its type, value, the text of its own <label for> and the legend
# of its fieldset.
_CONTROLS = """(name) => [...document.getElementsByName(name)].map((control) => ({
    type: control.type,
    value: control.value,
    label: document.querySelector(`label[for="${control.id}"]`)?.innerText.trim() ?? null,
    legend: control.closest("fieldset")?.querySelector("legend")?.innerText.trim() ?? null,
}))"""


def answer(page: Page, data: Mapping[str, object]) -> list[str]:
    """Answer the fields of the current page the way a person would: by their labels.

    Returns the words check-your-answers should then show for these answers.
    """
    shown: list[str] = []
    for name, value in data.items():
        controls = page.evaluate(_CONTROLS, name)
        assert controls, f"no field {name!r} on {page.url}"
        if controls[0]["type"] in ("radio", "checkbox"):
            labels = {control["value"]: control["label"] for control in controls}
            chosen = [labels[item] for item in (value if isinstance(value, list) else [value])]
            legend = controls[0]["legend"]
            group = page.get_by_role("group", name=legend, exact=True) if legend else page
            for label in chosen:
                group.get_by_label(label, exact=True).check()
            single_box = len(controls) == 1 and controls[0]["type"] == "checkbox"
            shown.append("Yes" if single_box else "; ".join(chosen))
        else:
            field = page.get_by_label(controls[0]["label"], exact=True)
            field.fill(str(value))
            shown.append(str(value))
    return shown


def fill_in_journey(
    tour: Tour, answers: Mapping[str, Mapping[str, object]] = FULL_ANSWERS
) -> list[str]:
    """From the start page, answer the required pages in order to check-your-answers; if
    `answers` has optional pages, take the offer to answer them there, walk through every
    optional page (answering those given, leaving the rest) and end on check-your-answers."""
    page = tour.page
    page.goto("/")
    tour.arrive("/")
    page.get_by_role("button", name="Start now").click()
    shown: list[str] = []
    required = [slug for slug in answers if not BY_SLUG[slug].optional]
    for slug in required:
        shown += _answer_page(tour, slug, answers[slug])
    tour.arrive("/referral/check")
    if any(BY_SLUG[slug].optional for slug in answers):
        page.get_by_role("link", name="Answer the optional questions").click()
        for step in OPTIONAL_STEPS:
            shown += _answer_page(tour, step.slug, answers.get(step.slug, {}))
        tour.arrive("/referral/check")
    return shown


def _answer_page(tour: Tour, slug: str, data: Mapping[str, object]) -> list[str]:
    page = tour.page
    tour.arrive(f"/referral/{slug}")
    # G7: the browser is not to remember answers for someone else to find.
    assert page.locator("form[autocomplete=off]").count() == 1, f"autofill on {slug}"
    shown = answer(page, data)
    press_continue(page)
    return shown


def send_referral(tour: Tour) -> list[str]:
    """On check-your-answers: send, and return the reference phrase words shown."""
    press_continue(tour.page, "Send my referral")
    tour.arrive("/referral/sent")
    words = tour.page.locator(".app-phrase__word").all_inner_texts()
    assert len(words) == 8, words
    assert all(re.fullmatch(r"[a-z]+", word) for word in words), words
    return words


def fill_in(page: Page, answers: Mapping[str, Mapping[str, object]]) -> None:
    """Answer the given pages directly by their addresses (no checks on the way)."""
    for slug, data in answers.items():
        page.goto(f"/referral/{slug}")
        answer(page, data)
        press_continue(page)


def sign_in(page: Page, phrase: str) -> None:
    page.get_by_label("Enter your reference phrase").fill(phrase)
    press_continue(page)


def no_horizontal_scroll(page: Page, width: int = 320) -> None:
    """The page fits `width` CSS pixels: nothing makes the document scroll sideways."""
    sizes = page.evaluate(
        """() => ({
            scroll: document.documentElement.scrollWidth,
            client: document.documentElement.clientWidth,
            inner: window.innerWidth,
            overflowing: [...document.querySelectorAll('body *')]
                .filter((e) => e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 1
                    || e.getBoundingClientRect().right > window.innerWidth + 0.5)
                .slice(0, 5)
                .map((e) => e.tagName.toLowerCase() + '.' + [...e.classList].join('.')),
        })"""
    )
    # A phone shrinks an over-wide page to fit, which widens the viewport: that is a fail too.
    assert sizes["inner"] == width, f"viewport is {sizes['inner']} wide on {page.url}: {sizes}"
    assert sizes["scroll"] <= min(sizes["client"], sizes["inner"]), (
        f"scrolls sideways on {page.url}: {sizes}"
    )
