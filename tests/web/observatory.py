"""The Mozilla HTTP Observatory's published scoring, for what one response can show.

From the Observatory's "Tests and scoring" (developer.mozilla.org/en-US/observatory/docs/
tests_and_scoring): start at 100, take off the penalties, and only if the result is 90 or
more add the bonuses; 100 or more is A+. Each test gives exactly one result (the worst that
applies), with its modifier. Evaluated here: Content Security Policy, cookies, cross-origin
resource sharing, HSTS, redirection (from the http request, where one was made), Referrer-
Policy, Subresource Integrity, X-Content-Type-Options, X-Frame-Options and Cross-Origin-
Resource-Policy. HSTS preloading needs the browsers' preload list, so it earns nothing here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from werkzeug.test import TestResponse

GRADES = (
    (100, "A+"), (90, "A"), (85, "A-"), (80, "B+"), (70, "B"), (65, "B-"), (60, "C+"),
    (50, "C"), (45, "C-"), (40, "D+"), (30, "D"), (25, "D-"), (0, "F"),
)
SIX_MONTHS = 15_768_000
BROAD_SOURCES = {"*", "http:", "https:", "ftp:", "data:", "http://*", "https://*"}
PRIVATE_REFERRER = {
    "no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"
}
UNSAFE_REFERRER = {"origin", "origin-when-cross-origin", "unsafe-url"}
VALID_REFERRER = PRIVATE_REFERRER | UNSAFE_REFERRER | {"no-referrer-when-downgrade"}


@dataclass
class Grade:
    results: dict[str, tuple[str, int]] = field(default_factory=dict)

    def add(self, test: str, result: str, modifier: int) -> None:
        self.results[test] = (result, modifier)

    @property
    def score(self) -> int:
        modifiers = [modifier for _, modifier in self.results.values()]
        score = 100 + sum(m for m in modifiers if m < 0)
        if score >= 90:
            score += sum(m for m in modifiers if m > 0)
        return max(score, 0)

    @property
    def letter(self) -> str:
        return next(letter for floor, letter in GRADES if self.score >= floor)

    def __str__(self) -> str:
        lines = [f"{self.score} ({self.letter})"]
        lines += [f"  {m:+d} {test}: {result}" for test, (result, m) in self.results.items()]
        return "\n".join(lines)


def grade(response: TestResponse, *, http_response: TestResponse | None = None) -> Grade:
    """Grade a response fetched over https; `http_response` is the same URL over plain http."""
    found = Grade()
    headers = response.headers
    policy = _csp(headers.getlist("Content-Security-Policy"))
    hsts = _hsts(headers.get("Strict-Transport-Security"))
    found.add("content-security-policy", *_csp_result(policy))
    found.add("cookies", *_cookies(headers.getlist("Set-Cookie"), hsts_ok=hsts[1] == 0))
    found.add("cross-origin-resource-sharing", *_cors(headers.get("Access-Control-Allow-Origin")))
    found.add("strict-transport-security", *hsts)
    if http_response is not None:
        found.add("redirection", *_redirection(http_response, response.request.host))
    found.add("referrer-policy", *_referrer(headers.get("Referrer-Policy")))
    found.add("subresource-integrity", *_sri(response))
    found.add("x-content-type-options", *_nosniff(headers.get("X-Content-Type-Options")))
    found.add("x-frame-options", *_frames(headers.get("X-Frame-Options"), policy))
    found.add(
        "cross-origin-resource-policy", *_corp(headers.get("Cross-Origin-Resource-Policy"))
    )
    return found


def _csp(values: list[str]) -> dict[str, list[str]] | None:
    """Directive -> sources; None if absent; {'': []} marks a header that does not parse."""
    if not values:
        return None
    if len(values) > 1:
        return {"": []}  # several policies: we never send that, so treat it as a failure
    policy: dict[str, list[str]] = {}
    for part in values[0].split(";"):
        if not part.strip():
            continue
        name, *sources = part.split()
        name = name.lower()
        if name in policy or not re.fullmatch(r"[a-z-]+", name):
            return {"": []}
        policy[name] = sources
    return policy


def _csp_result(policy: dict[str, list[str]] | None) -> tuple[str, int]:
    if policy is None:
        return "csp-not-implemented", -25
    if "" in policy:
        return "csp-header-invalid", -25
    default = policy.get("default-src")
    script = policy.get("script-src", default)
    objects = policy.get("object-src", default)
    style = policy.get("style-src", default)
    if script is None or objects is None:
        return "csp-implemented-with-unsafe-inline", -20  # nothing limits scripts or plugins
    if "'unsafe-inline'" in script or BROAD_SOURCES & set(script + objects):
        return "csp-implemented-with-unsafe-inline", -20
    active = [s for d in ("script-src", "object-src", "style-src", "connect-src", "frame-src")
              for s in policy.get(d, default or [])]
    if any(s.startswith("http:") for s in active):
        return "csp-implemented-with-insecure-scheme", -20
    if "'unsafe-eval'" in script:
        return "csp-implemented-with-unsafe-eval", -10
    passive = [s for d in ("img-src", "media-src") for s in policy.get(d, default or [])]
    if any(s.startswith("http:") for s in passive):
        return "csp-implemented-with-insecure-scheme-in-passive-content-only", -10
    if style is None or "'unsafe-inline'" in style:
        return "csp-implemented-with-unsafe-inline-in-style-src-only", 0
    if default == ["'none'"]:
        return "csp-implemented-with-no-unsafe-default-src-none", 10
    return "csp-implemented-with-no-unsafe", 5


def _cookies(values: list[str], *, hsts_ok: bool) -> tuple[str, int]:
    if not values:
        return "cookies-not-found", 0
    cookies = []
    for value in values:
        first, *attributes = (part.strip() for part in value.split(";"))
        flags = {}
        for attribute in attributes:
            key, _, setting = attribute.partition("=")
            flags[key.lower()] = setting
        cookies.append((first.partition("=")[0].lower(), flags))

    def session(name: str) -> bool:
        return "sess" in name or "login" in name

    if any(session(n) and "secure" not in f for n, f in cookies):
        if hsts_ok:
            return "cookies-session-without-secure-flag-but-protected-by-hsts", -10
        return "cookies-session-without-secure-flag", -40
    if any(session(n) and "httponly" not in f for n, f in cookies):
        return "cookies-session-without-httponly-flag", -30
    if any("csrf" in n and "samesite" not in f for n, f in cookies):
        return "cookies-anticsrf-without-samesite-flag", -20
    if any(f.get("samesite", "strict").lower() not in ("strict", "lax") for _, f in cookies):
        return "cookies-samesite-flag-invalid", -20
    if any("secure" not in f for _, f in cookies):
        if hsts_ok:
            return "cookies-without-secure-flag-but-protected-by-hsts", -5
        return "cookies-without-secure-flag", -20
    if all("samesite" in f for _, f in cookies):
        return "cookies-secure-with-httponly-sessions-and-samesite", 5
    return "cookies-secure-with-httponly-sessions", 0


def _cors(allow_origin: str | None) -> tuple[str, int]:
    if allow_origin is None:
        return "cross-origin-resource-sharing-not-implemented", 0
    if allow_origin.strip() == "*":
        return "cross-origin-resource-sharing-implemented-with-universal-access", -50
    return "cross-origin-resource-sharing-implemented-with-restricted-access", 0


def _hsts(value: str | None) -> tuple[str, int]:
    if value is None:
        return "hsts-not-implemented", -20
    match = re.search(r"(?:^|;)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:;|$)", value, re.IGNORECASE)
    if not match:
        return "hsts-header-invalid", -20
    if int(match.group(1)) < SIX_MONTHS:
        return "hsts-implemented-max-age-less-than-six-months", -10
    return "hsts-implemented-max-age-at-least-six-months", 0


def _redirection(http_response: TestResponse, host: str) -> tuple[str, int]:
    if http_response.status_code not in (301, 302, 303, 307, 308):
        return "redirection-missing", -20
    target = urlsplit(http_response.location or "")
    if target.scheme != "https":
        return "redirection-not-to-https-on-initial-redirection", -10
    if target.hostname != host.split(":")[0]:
        return "redirection-off-host-from-http", -5
    return "redirection-to-https", 0


def _referrer(value: str | None) -> tuple[str, int]:
    if value is None:
        return "referrer-policy-not-implemented", 0
    tokens = [t.strip().lower() for t in value.split(",") if t.strip()]
    valid = [t for t in tokens if t in VALID_REFERRER]
    if not valid:
        return "referrer-policy-header-invalid", -5
    last = valid[-1]  # browsers use the last policy they understand
    if last in PRIVATE_REFERRER:
        return "referrer-policy-private", 5
    if last in UNSAFE_REFERRER:
        return "referrer-policy-unsafe", -5
    return "referrer-policy-no-referrer-when-downgrade", 0


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))


def _sri(response: TestResponse) -> tuple[str, int]:
    if response.mimetype != "text/html":
        return "sri-not-implemented-response-not-html", 0
    parser = _Scripts()
    parser.feed(response.get_data(as_text=True))
    sources = [s.get("src") or "" for s in parser.scripts if s.get("src")]
    if not sources:
        return "sri-not-implemented-but-no-scripts-loaded", 0
    external = [s for s in sources if urlsplit(s).netloc not in ("", response.request.host)]
    if not external:
        return "sri-not-implemented-but-all-scripts-loaded-from-secure-origin", 0
    if any(urlsplit(s).scheme == "http" for s in external):
        return "sri-not-implemented-and-external-scripts-not-loaded-securely", -50
    return "sri-not-implemented-but-external-scripts-loaded-securely", -5


def _nosniff(value: str | None) -> tuple[str, int]:
    if value is None:
        return "x-content-type-options-not-implemented", -5
    if value.strip().lower() != "nosniff":
        return "x-content-type-options-header-invalid", -5
    return "x-content-type-options-nosniff", 0


def _frames(value: str | None, policy: dict[str, list[str]] | None) -> tuple[str, int]:
    if policy and "frame-ancestors" in policy:
        return "x-frame-options-implemented-via-csp", 5
    if value is None:
        return "x-frame-options-not-implemented", -20
    if value.strip().upper() in ("DENY", "SAMEORIGIN"):
        return "x-frame-options-sameorigin-or-deny", 0
    return "x-frame-options-header-invalid", -20


def _corp(value: str | None) -> tuple[str, int]:
    if value is None:
        return "corp-not-implemented", 0
    if value.strip().lower() in ("same-origin", "same-site", "cross-origin"):
        return f"corp-implemented-with-{value.strip().lower()}", 0
    return "corp-header-invalid", -5
