"""Hostile input on every form and every API endpoint of both apps.

Hypothesis sends each POST and PUT route (from the apps' URL maps, as a caller the
authorisation table lets through, so the payload reaches the handler) text, bytes, unicode
edge cases, SQL and template injection strings, duplicated parameters and wrong content
types. Whatever it sends: never a 500, never a stack trace, never the payload inside a
script. Bodies over the limit (MAX_CONTENT_LENGTH, the API's own MAX_BODY_BYTES) get 413
without the body being read: the test's request stream counts every byte the app takes.
CSRF checking is off so that the payload, not the CSRF check, is what the handler sees.
"""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from app.api.blueprint import MAX_BODY_BYTES
from tests.callers import World, world_fixture
from tests.test_authorisation_matrix import TABLE, routes

world = world_fixture()

MARKER = "zq9hostile"
INJECTIONS = [
    "' OR '1'='1", "'; DROP TABLE referrals; --", "1; SELECT pg_sleep(5)--", '" OR ""="',
    "{{7*7}}", "{% for x in range(9) %}x{% endfor %}", "${7*7}", "<%= 7*7 %>",
    "{{config.items()}}", "{{ ''.__class__.__mro__ }}",
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "javascript:alert(1)",
    "</script><script>alert(1)</script>", "\u2028\u2029", "\x00", "\ufeff",
    "\u202e", "\U0010ffff", "𝕏" * 50, "a\r\nSet-Cookie: x=1", "../../etc/passwd", "%00", "\\", "",
]
text = st.one_of(
    st.sampled_from(INJECTIONS),
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=80),
    st.sampled_from(INJECTIONS).map(lambda s: MARKER + s + MARKER),
)
field_names = st.one_of(
    st.sampled_from(["service", "phrase", "body", "email", "password", "code", "name",
                     "account", "confirm", "reason", "on", "note", "period", "format"]),
    st.text(min_size=1, max_size=20),
)
form = st.lists(st.tuples(field_names, text), max_size=12)  # names may repeat: duplicates
content_types = st.sampled_from([
    "application/x-www-form-urlencoded", "multipart/form-data; boundary=zz", "application/json",
    "text/plain", "application/xml", "application/json; charset=utf-16", "", "image/png",
])
raw_bodies = st.one_of(
    st.binary(max_size=2000),
    st.sampled_from([b"\xed\xa0\x80", b"\xff\xfe{", b"%ff%fe=%00", b"a=1&a=2&a[]=3"]),
    text.map(lambda s: s.encode("utf-8", "replace")),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
TRACE = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|Werkzeug Debugger"
)


class Scripts(HTMLParser):
    """Text inside <script> elements, event-handler attributes and javascript: URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.found.append(value or "")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.found.append(data)


def check(response: TestResponse, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code)
    body = response.get_data(as_text=True)
    assert not TRACE.search(body), what
    if response.mimetype == "text/html":
        scripts = Scripts()
        scripts.feed(body)
        assert not any(MARKER in chunk for chunk in scripts.found), what


def post_routes(world: World) -> list[tuple[str, str, Rule, str]]:
    """(surface, method, rule, caller) for every route that takes a body."""
    found = []
    for surface, method, rule in routes(world):
        if method not in ("POST", "PUT") or rule.rule in ("/status/delete",):
            continue
        allowed = TABLE.get((surface, method, rule.rule)) or ("anonymous",)
        found.append((surface, method, rule, allowed[0]))
    return found


def off_csrf(world: World) -> None:
    for app in world.apps.values():
        app.config["WTF_CSRF_ENABLED"] = False


def test_every_form_survives_hostile_fields(world):
    off_csrf(world)
    targets = [t for t in post_routes(world) if not t[2].rule.startswith("/api/")]
    assert len(targets) >= 25

    @SETTINGS
    @given(fields=form)
    def attack(fields: list[tuple[str, str]]) -> None:
        for surface, method, rule, name in targets:
            url = world.url_for_rule(surface, rule)
            response = world.callers[name].open(
                world, surface, method, url, data=MultiDict(fields)
            )
            check(response, f"{method} {url} as {name}")

    attack()


def test_every_endpoint_survives_wrong_content_types_and_raw_bytes(world):
    off_csrf(world)
    targets = post_routes(world)

    @SETTINGS
    @given(body=raw_bodies, content_type=content_types)
    def attack(body: bytes, content_type: str) -> None:
        for surface, method, rule, name in targets:
            url = world.url_for_rule(surface, rule)
            response = world.callers[name].open(
                world, surface, method, url, data=body, content_type=content_type
            )
            check(response, f"{method} {url} as {name} ({content_type})")

    attack()


def test_every_api_endpoint_survives_hostile_json(world):
    targets = [t for t in post_routes(world) if t[2].rule.startswith("/api/")]
    assert len(targets) >= 10

    @SETTINGS
    @given(value=json_values)
    def attack(value: object) -> None:
        payload = json.dumps(value)
        for surface, method, rule, name in targets:
            url = world.url_for_rule(surface, rule)
            response = world.callers[name].open(
                world, surface, method, url, data=payload, content_type="application/json"
            )
            check(response, f"{method} {url} as {name}")
            assert response.mimetype == "application/json", url

    attack()


class CountingStream(io.RawIOBase):
    """A request body of `size` bytes that counts what the app reads of it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.position = 0
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True  # the test client measures the body by seeking to its end

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = offset if whence == 0 else self.size + offset if whence == 2 else (
            self.position + offset
        )
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        n = max(0, min(len(buffer), self.size - self.position))
        buffer[:n] = b"a" * n
        self.position += n
        self.read_bytes += n
        return n


def test_oversized_bodies_get_413_before_they_are_read(world):
    off_csrf(world)
    refused = 0
    answers: list[str] = []
    for surface, method, rule, name in post_routes(world):
        app = world.apps[surface]
        limit = MAX_BODY_BYTES if rule.rule.startswith("/api/") else app.config[
            "MAX_CONTENT_LENGTH"
        ]
        stream = CountingStream(limit * 4)
        url = world.url_for_rule(surface, rule)
        content_type = (
            "application/json" if rule.rule.startswith("/api/")
            else "application/x-www-form-urlencoded"
        )
        response = world.callers[name].open(
            world, surface, method, url, input_stream=stream, content_type=content_type
        )
        what = f"{method} {url} as {name}: {response.status_code}"
        assert stream.read_bytes == 0, what
        assert response.status_code < 500, what
        refused += response.status_code == 413
        answers.append(what)
    assert refused >= 20, answers
