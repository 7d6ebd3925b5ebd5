"""A person using the stack's intake over real HTTPS: a browser's cookie jar, the forms'
CSRF tokens, and the proof of work solved as assets/js/proof-of-work.mjs solves it."""

from __future__ import annotations

import hashlib
import http.cookiejar
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CHALLENGE = re.compile(r'name="proof_challenge" value="([^"]+)" data-proof-of-work-bits="(\d+)"')
PHRASE_WORD = re.compile(r'class="app-phrase__word">([a-z]+)<')

# The fewest answers that make a referral (tests/referrer.py MINIMAL_ANSWERS), with a marker.
def minimal_answers(marker: str) -> dict[str, dict[str, object]]:
    return {
        "service": {"service": "idva"},
        "contact": {"name": marker, "contact_method": "phrase_only"},
        "confidentiality": {"consent": "y"},
    }


@dataclass
class Answer:
    status: int
    location: str
    body: str
    retry_after: str | None = None


class Refused(Exception):
    """The service answered with something other than what the journey expects."""

    def __init__(self, where: str, answer: Answer) -> None:
        super().__init__(f"{where}: {answer.status}")
        self.answer = answer


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a person's next page is asked for explicitly, like the tests do


def solve(token: str, bits: int) -> str:
    """The first counter whose SHA-256 with the challenge starts with `bits` zero bits."""
    counter = 0
    while bits and int.from_bytes(
        hashlib.sha256(f"{token}:{counter}".encode()).digest(), "big"
    ) >> (256 - bits):
        counter += 1
    return str(counter)


class Person:
    def __init__(self, base_url: str, context: ssl.SSLContext, timeout: float = 60) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context),
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            _NoRedirects(),
        )

    def get(self, path: str) -> Answer:
        return self._open(urllib.request.Request(self.base_url + path))  # noqa: S310 - https

    def post(self, path: str, data: Mapping[str, object]) -> Answer:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(  # noqa: S310 - the stack's own https URL
            self.base_url + path, data=body, method="POST"
        )
        return self._open(request)

    def _open(self, request: urllib.request.Request) -> Answer:
        try:
            with self.opener.open(request, timeout=self.timeout) as answer:
                return Answer(answer.status, answer.headers.get("Location", ""),
                              answer.read().decode("utf-8", "replace"),
                              answer.headers.get("Retry-After"))
        except urllib.error.HTTPError as answer:
            return Answer(answer.code, answer.headers.get("Location", ""),
                          answer.read().decode("utf-8", "replace"),
                          answer.headers.get("Retry-After"))

    def fill_and_post(self, path: str, data: Mapping[str, object]) -> Answer:
        """Open the form, then send it with its hidden fields (and a solved proof of work)."""
        page = self.get(path)
        token = CSRF.search(page.body)
        if page.status != 200 or token is None:
            raise Refused(f"GET {path}", page)
        fields = {**data, "csrf_token": token.group(1)}
        if challenge := CHALLENGE.search(page.body):
            fields["proof_challenge"] = challenge.group(1)
            fields["proof"] = solve(challenge.group(1), int(challenge.group(2)))
        return self.post(path, fields)

    def refer(self, marker: str) -> str:
        """Make a whole referral; returns the reference phrase shown."""
        for slug, data in minimal_answers(marker).items():
            answer = self.fill_and_post(f"/referral/{slug}", data)
            if answer.status != 303:
                raise Refused(f"POST /referral/{slug}", answer)
        answer = self.fill_and_post("/referral/check", {})
        if answer.status != 303:
            raise Refused("POST /referral/check", answer)
        page = self.get("/referral/sent")
        words = PHRASE_WORD.findall(page.body)
        if len(words) != 8:
            raise Refused("GET /referral/sent", page)
        return " ".join(words)

    def return_with(self, phrase: str) -> Answer:
        """Sign in with a reference phrase; a 303 to the status page means it was found."""
        return self.fill_and_post("/return", {"phrase": phrase})
