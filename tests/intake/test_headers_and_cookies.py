"""G7 Safety on the device: headers, cookies, titles and links of every intake page.

One walk through the whole intake (start, every question page in journey order, check your
answers, sent, return, status, delete, deleted, error pages) records every response, and
each test checks one promise against all of them, so a page added later is covered as soon
as the walk reaches it.
"""

from __future__ import annotations

import posixpath
import re
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.test import TestResponse

import app as app_package
from app import create_intake_app
from app.config import DEV_PEPPER, DEV_SECRET, ConfigurationError, refuse_unsafe_production
from app.extensions import intake_db
from app.questionnaire.journey import STEPS
from tests.conftest import intake_settings
from tests.referrer import FULL_ANSWERS, Referrer

NEUTRAL_EXIT_URL = "https://neutral.example/weather"
TITLE_GIVES_AWAY = re.compile(
    r"\b(abuse|sexual|violence|rape|domestic|idva|isva|referral)", re.IGNORECASE
)
EXTERNAL_URL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
XMLNS_ATTRIBUTE = re.compile(r'\sxmlns(?::[\w-]+)?="[^"]*"')
TEXT_INPUT_TYPES = {"text", "email", "tel", "search", "url", "number", "password"}


# --- what a page is made of ----------------------------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    form_autocomplete: str | None = None
    text: str = ""


@dataclass
class Page(HTMLParser):
    """The parts of an HTML page these tests look at."""

    elements: list[Element] = field(default_factory=list)
    title: str = ""
    _in_title: bool = False
    _form_autocomplete: str | None = None
    _open_links: list[Element] = field(default_factory=list)

    def __post_init__(self) -> None:
        HTMLParser.__init__(self, convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(
            tag, {name: value or "" for name, value in attrs}, self._form_autocomplete
        )
        self.elements.append(element)
        if tag == "title":
            self._in_title = True
        elif tag == "form":
            self._form_autocomplete = element.attrs.get("autocomplete")
        elif tag == "a":
            self._open_links.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "form":
            self._form_autocomplete = None
        elif tag == "a" and self._open_links:
            self._open_links.pop()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        for link in self._open_links:
            link.text += data


def parse(response: TestResponse) -> Page:
    page = Page()
    page.feed(response.get_data(as_text=True))
    page.close()
    return page


# --- one walk through everything -----------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    method: str
    path: str
    response: TestResponse

    @property
    def name(self) -> str:
        return f"{self.method} {self.path} ({self.response.status_code})"

    @property
    def is_html(self) -> bool:
        """A page the browser shows (a redirect's body is never rendered)."""
        return self.response.mimetype == "text/html" and not 300 <= self.response.status_code < 400


def record(referrer: Referrer) -> list[Visit]:
    """Make the referrer's client remember every request it makes and its response."""
    visits: list[Visit] = []
    client = referrer.client
    original_open = client.open

    def open_and_record(*args: object, **kwargs: object) -> TestResponse:
        response = original_open(*args, **kwargs)
        visits.append(Visit(response.request.method, response.request.path, response))
        return response

    client.open = open_and_record  # type: ignore[method-assign]
    return visits


def walk_everything(referrer: Referrer) -> list[Visit]:
    """Every intake page, as a person would reach it, plus the error pages."""
    visits = record(referrer)
    client = referrer.client
    for path in ("/", "/safety", "/privacy", "/accessibility", "/referral/start"):
        client.get(path)
    # An answer with a mistake first, so an error state of a question page is seen too.
    referrer.answer("service", {"service": "not-a-service"})
    assert {step.slug for step in STEPS} == set(FULL_ANSWERS), "FULL_ANSWERS must cover every step"
    referrer.fill_in(FULL_ANSWERS)  # GETs each question page in journey order, then answers it
    client.get("/referral/change/name")
    client.get("/referral/check")
    phrase = _send_and_read_phrase(referrer)
    client.get("/referral/sent")  # the phrase has been shown: the "already shown" page
    client.get("/status")  # not signed in: 403 page
    referrer.sign_in("not a phrase")  # an error state of the return page
    assert referrer.sign_in(phrase).status_code == 303
    client.get("/status")
    assert referrer.send_message("Mornings are best").status_code == 303
    client.get("/status")
    assert referrer.post("/status/delete", {}).status_code == 303
    client.get("/deleted")
    client.get("/no-such-page")
    client.get("/referral/no-such-question")
    client.post("/return", data={"phrase": "no csrf token"})
    client.post("/return", data={"phrase": "x" * 70_000})
    client.get("/exit")
    visited = {(v.method, v.path, v.response.status_code) for v in visits}
    expected = {
        ("GET", "/", 200),
        ("GET", "/safety", 200),
        ("GET", "/privacy", 200),
        ("GET", "/accessibility", 200),
        ("GET", "/referral/check", 200),
        ("GET", "/referral/sent", 200),
        ("GET", "/return", 200),
        ("GET", "/status", 200),
        ("GET", "/status", 403),
        ("GET", "/status/delete", 200),
        ("GET", "/deleted", 200),
        ("GET", "/no-such-page", 404),
        ("POST", "/return", 400),
        ("POST", "/return", 413),
        ("POST", "/referral/service", 200),
        ("POST", "/return", 200),
        *(("GET", f"/referral/{step.slug}", 200) for step in STEPS),
    }
    assert expected <= visited, expected - visited
    return visits


def _send_and_read_phrase(referrer: Referrer) -> str:
    response = referrer.send()
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    page = referrer.client.get("/referral/sent").get_data(as_text=True)
    return " ".join(re.findall(r'class="app-phrase__word">([a-z]+)<', page))


@pytest.fixture
def visits(referrer: Referrer) -> list[Visit]:
    return walk_everything(referrer)


@pytest.fixture
def html_pages(visits: list[Visit]) -> list[tuple[Visit, Page]]:
    pages = [(visit, parse(visit.response)) for visit in visits if visit.is_html]
    assert len(pages) >= 30
    return pages


# --- headers --------------------------------------------------------------------------------


def test_every_response_forbids_the_browser_from_keeping_a_copy(visits):
    for visit in visits:
        assert "no-store" in visit.response.headers.get("Cache-Control", ""), visit.name


def test_every_response_has_a_strict_content_security_policy(visits):
    for visit in visits:
        policy = visit.response.headers.get("Content-Security-Policy", "")
        directives = {
            part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()
        }
        assert directives.get("default-src") == ["'none'"], visit.name
        assert directives.get("frame-ancestors") == ["'none'"], visit.name
        assert "unsafe-inline" not in policy, visit.name
        assert "unsafe-eval" not in policy, visit.name
        for sources in directives.values():
            assert not any(EXTERNAL_URL.match(s) or s.endswith(":") for s in sources), visit.name


def test_every_response_sends_no_referrer_and_refuses_to_be_framed(visits):
    for visit in visits:
        assert visit.response.headers.get("Referrer-Policy") == "no-referrer", visit.name
        assert visit.response.headers.get("X-Frame-Options") == "DENY", visit.name


# --- page content ---------------------------------------------------------------------------


def test_no_page_links_to_or_loads_anything_from_another_host(html_pages):
    for visit, page in html_pages:
        for element in page.elements:
            for name, value in element.attrs.items():
                if name == "xmlns" or name.startswith("xmlns:"):
                    continue
                assert not EXTERNAL_URL.match(value), (visit.name, element.tag, name, value)
                assert not re.search(r"https?:", value, re.IGNORECASE), (visit.name, name, value)
        html = XMLNS_ATTRIBUTE.sub("", visit.response.get_data(as_text=True))
        assert not re.search(r"https?://", html, re.IGNORECASE), visit.name


def test_the_stylesheets_and_scripts_the_pages_load_fetch_nothing_from_another_host(
    client, html_pages
):
    queue = []
    for _, page in html_pages:
        for element in page.elements:
            if element.tag == "link" and element.attrs.get("rel") == "stylesheet":
                queue.append(element.attrs["href"])
            elif element.tag == "script" and element.attrs.get("src"):
                queue.append(element.attrs["src"])
    assert any(a.endswith(".css") for a in queue) and any(a.endswith(".mjs") for a in queue)
    checked: set[str] = set()
    while queue:
        asset = queue.pop()
        if asset in checked:
            continue
        checked.add(asset)
        assert asset.startswith("/"), asset
        response = client.get(asset)
        assert response.status_code == 200, asset
        body = response.get_data(as_text=True)
        for target in re.findall(r"url\(\s*['\"]?([^'\")]*)", body):
            assert not EXTERNAL_URL.match(target), (asset, target)
        assert not re.search(r"@import\s+(url\()?['\"]?([a-z]+:)?//", body), asset
        for specifier in re.findall(
            r"\bimport\s*(?:[\w{}*\s,]+from\s*)?\(?\s*['\"]([^'\"]+)", body
        ):
            assert specifier.startswith(("./", "../", "/")), (asset, specifier)
            queue.append(posixpath.normpath(posixpath.join(posixpath.dirname(asset), specifier)))
    assert len(checked) >= 3  # the stylesheet, the entry module and what it imports


def test_every_page_has_an_exit_this_page_button_that_goes_to_the_exit_route(html_pages):
    for visit, page in html_pages:
        buttons = [
            element
            for element in page.elements
            if element.tag == "a"
            and "govuk-exit-this-page__button" in element.attrs.get("class", "")
        ]
        assert len(buttons) == 1, visit.name
        assert buttons[0].attrs["href"] == "/exit", visit.name
        assert "Exit this page" in buttons[0].text, visit.name


def test_no_page_title_says_what_the_service_is_about(html_pages):
    titles = set()
    for visit, page in html_pages:
        assert page.title.strip(), visit.name
        assert not TITLE_GIVES_AWAY.search(page.title), (visit.name, page.title)
        titles.add(page.title.strip())
    assert len(titles) >= 10  # the pages really were different pages


def test_every_text_box_has_autofill_turned_off(html_pages):
    boxes = 0
    for visit, page in html_pages:
        for element in page.elements:
            is_text_input = (
                element.tag == "input" and element.attrs.get("type", "text") in TEXT_INPUT_TYPES
            )
            if is_text_input or element.tag == "textarea":
                boxes += 1
                setting = element.attrs.get("autocomplete") or element.form_autocomplete
                assert setting == "off", (visit.name, element.attrs.get("name"))
    assert boxes >= 9  # phone, email, times, someone else, name, account, needs, phrase, message


# --- cookies --------------------------------------------------------------------------------


def _cookies_set(visits: list[Visit]) -> list[tuple[str, str, dict[str, str]]]:
    found = []
    for visit in visits:
        for header in visit.response.headers.getlist("Set-Cookie"):
            first, *attributes = (part.strip() for part in header.split(";"))
            name, _, value = first.partition("=")
            flags = {}
            for attribute in attributes:
                key, _, setting = attribute.partition("=")
                flags[key.lower()] = setting
            found.append((name, value, flags))
    return found


def test_the_only_cookie_ever_set_is_the_session_cookie(app, visits):
    names = {name for name, _, _ in _cookies_set(visits)}
    assert names == {app.config["SESSION_COOKIE_NAME"]}


def test_the_session_cookie_is_http_only_strict_site_wide_and_ends_with_the_browser(visits):
    live = [(value, flags) for _, value, flags in _cookies_set(visits) if value]
    assert live
    for _, flags in live:
        assert "httponly" in flags
        assert flags.get("samesite", "").lower() == "strict"
        assert flags.get("path") == "/"
        assert "expires" not in flags
        assert "max-age" not in flags
        assert "domain" not in flags


def _production_app(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Flask:
    settings = {
        **intake_settings(database_url),
        "ENV_NAME": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "REFERENCE_PEPPER": secrets.token_bytes(32),
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",  # RATELIMIT_ENABLED is off here
        "TRUSTED_PROXIES": 0,
        # Production refuses to start without a pinned provider signing key (G2).
        "PINNED_PROVIDER_KEYS": {"Test advisor service": "0" * 32},
    }
    if database_url.startswith("sqlite"):
        # Production refuses SQLite. This test is about cookies, so on the SQLite run every
        # other refusal still applies, judged as if the database were PostgreSQL.
        real_refusal = app_package.refuse_unsafe_production
        monkeypatch.setattr(
            app_package,
            "refuse_unsafe_production",
            lambda config: real_refusal(
                {**config, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db.invalid/intake"}
            ),
        )
    return create_intake_app(settings)


def test_in_production_the_session_cookie_is_only_ever_sent_over_https(
    app, database_url, monkeypatch
):
    production = _production_app(database_url, monkeypatch)
    client = production.test_client()
    assert client.get("/referral/service").status_code in (301, 302)  # plain http goes to https
    response = client.get("/referral/service", base_url="https://localhost")
    assert response.status_code == 200
    ((name, value, flags),) = _cookies_set([Visit("GET", "/referral/service", response)])
    assert name == production.config["SESSION_COOKIE_NAME"] and value
    assert "secure" in flags
    assert "httponly" in flags and flags["samesite"].lower() == "strict"
    assert "Strict-Transport-Security" in response.headers
    with production.app_context():
        intake_db.engine.dispose()


def test_in_development_the_session_cookie_is_not_marked_secure(visits):
    assert all("secure" not in flags for _, value, flags in _cookies_set(visits) if value)


# --- refusing an unsafe production configuration ---------------------------------------------


def _good_production_config() -> dict[str, object]:
    return {
        "ENV_NAME": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "REFERENCE_PEPPER": secrets.token_bytes(32),
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://intake@db.internal/intake",
        "RATELIMIT_STORAGE_URI": "redis://redis.internal:6379/0",
        "TRUSTED_PROXIES": 1,
    }


def test_a_safe_production_configuration_is_accepted():
    refuse_unsafe_production(_good_production_config())


@pytest.mark.parametrize(
    ("setting", "value", "complaint"),
    [
        ("SECRET_KEY", DEV_SECRET, "SECRET_KEY"),
        ("SECRET_KEY", "", "SECRET_KEY"),
        ("SECRET_KEY", "short-but-not-the-default", "SECRET_KEY"),
        ("REFERENCE_PEPPER", DEV_PEPPER, "REFERENCE_PEPPER"),
        ("REFERENCE_PEPPER", b"short", "REFERENCE_PEPPER"),
        ("SQLALCHEMY_DATABASE_URI", "sqlite:///instance/intake.sqlite", "PostgreSQL"),
        ("RATELIMIT_STORAGE_URI", "memory://", "REDIS_URL"),
        ("TRUSTED_PROXIES", None, "TRUSTED_PROXIES"),
    ],
)
def test_production_refuses_to_start_with_an_unsafe_setting(setting, value, complaint):
    config = {**_good_production_config(), setting: value}
    with pytest.raises(ConfigurationError, match=complaint):
        refuse_unsafe_production(config)


def test_production_refuses_the_development_defaults_when_creating_the_app(monkeypatch):
    monkeypatch.setenv("SAFE_REFERRAL_ENV", "production")
    for name in ("SECRET_KEY", "REFERENCE_PEPPER", "DATABASE_URL", "REDIS_URL", "TRUSTED_PROXIES"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError) as refused:
        create_intake_app()
    complaints = ("SECRET_KEY", "REFERENCE_PEPPER", "PostgreSQL", "REDIS_URL", "TRUSTED_PROXIES")
    for complaint in complaints:
        assert complaint in str(refused.value)


# --- exit this page ---------------------------------------------------------------------------


def _draft_sessions(app: Flask) -> int:
    with app.app_context():
        return intake_db.session.scalar(sa.text("select count(*) from draft_sessions"))


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_exit_ends_the_session_and_leaves_for_a_neutral_site(app, referrer, method):
    app.config["NEUTRAL_EXIT_URL"] = NEUTRAL_EXIT_URL
    referrer.answer("service", FULL_ANSWERS["service"])
    referrer.answer("contact", FULL_ANSWERS["contact"])
    cookie = referrer.client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None and _draft_sessions(app) == 1
    old_value = cookie.value

    response = referrer.client.open("/exit", method=method)

    assert response.status_code == 303
    assert response.headers["Location"] == NEUTRAL_EXIT_URL
    assert "no-store" in response.headers["Cache-Control"]
    ((name, value, flags),) = _cookies_set([Visit(method, "/exit", response)])
    assert name == app.config["SESSION_COOKIE_NAME"] and value == ""
    assert flags.get("max-age") == "0"
    assert referrer.client.get_cookie(app.config["SESSION_COOKIE_NAME"]) is None
    assert _draft_sessions(app) == 0

    # Someone who copied the old cookie finds nothing behind it.
    referrer.client.set_cookie(app.config["SESSION_COOKIE_NAME"], old_value)
    assert referrer.client.get("/referral/check").headers["Location"] == "/referral/service"
    page = referrer.client.get("/referral/contact").get_data(as_text=True)
    assert "checked" not in page


def test_exit_works_even_for_someone_who_has_no_session(app, client):
    app.config["NEUTRAL_EXIT_URL"] = NEUTRAL_EXIT_URL
    response = client.get("/exit")
    assert response.status_code == 303
    assert response.headers["Location"] == NEUTRAL_EXIT_URL
    assert not response.headers.getlist("Set-Cookie")
