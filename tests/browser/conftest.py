"""Browser fixtures: a real intake app on a local port, a local "neutral" site, and Chromium.

Every page a test opens is watched: a console error (CSP violations included), an uncaught
script error, a server error, or any request to a host other than 127.0.0.1 fails the test.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from werkzeug.serving import make_server

from app import create_intake_app
from app.extensions import intake_db
from app.intake import recipients
from app.web.privacy_logging import QuietRequestHandler
from crypto.keys import PrivateKey
from tests.browser.accessibility import launch_chromium
from tests.browser.intake_pages import SCRIPTLESS, close_copy
from tests.conftest import intake_settings
from tests.provider_signing import register_signed

LOCAL_HOST = "127.0.0.1"
PHONE = {
    "viewport": {"width": 320, "height": 640},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
NO_JS = {**PHONE, "java_script_enabled": False}

NEUTRAL_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Weather</title>
<link rel="icon" href="data:,"></head>
<body><main><h1>Weather forecast</h1><p>Sunny spells.</p></main></body></html>"""


class _Chromium:
    """One Playwright + Chromium per worker, started on first use.

    Playwright's sync API allows one instance per thread, so it is stopped before a test
    module that starts its own (tests/browser/test_accessibility_checker.py) and started
    again afterwards.
    """

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    def get(self) -> Browser:
        if self._browser is None or not self._browser.is_connected():
            self.stop()
            self._playwright = sync_playwright().start()
            self._browser = launch_chromium(self._playwright)
        return self._browser

    def stop(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None


_CHROMIUM = _Chromium()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    module = getattr(item, "module", None)
    if module is not None and hasattr(module, "sync_playwright"):
        _CHROMIUM.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    watch = getattr(item, "funcargs", {}).get("browser_watch")
    try:
        result = yield
    except BaseException:
        if watch is not None and watch.problems:
            item.add_report_section("call", "browser problems", "\n".join(watch.problems))
        raise
    if watch is not None:
        watch.check()
    return result


@pytest.fixture(scope="session")
def chromium() -> Iterator[_Chromium]:
    yield _CHROMIUM
    _CHROMIUM.stop()


@pytest.fixture
def browser(chromium: _Chromium) -> Browser:
    return chromium.get()


class BrowserWatch:
    """Collects what must never happen in an intake page, to fail the test afterwards."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.allowed: list[re.Pattern[str]] = []
        self.contexts: list[BrowserContext] = []

    def allow_console_error(self, pattern: str) -> None:
        """Expect a console error matching pattern, e.g. the status line of a 404 page."""
        self.allowed.append(re.compile(pattern))

    def attach(self, context: BrowserContext) -> None:
        self.contexts.append(context)
        context.on("request", self._on_request)
        context.on("console", self._on_console)
        context.on("weberror", lambda error: self.problems.append(f"page error: {error.error}"))
        context.on("response", self._on_response)
        context.on("requestfailed", self._on_failed)

    def _on_failed(self, request: Any) -> None:
        # A request cut short by leaving the page (net::ERR_ABORTED) is not a fault.
        if "ERR_ABORTED" not in (request.failure or ""):
            self.problems.append(f"request failed: {request.url} ({request.failure})")

    def _on_request(self, request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme == "data":
            return
        if parts.scheme not in ("http", "https") or parts.hostname != LOCAL_HOST:
            self.problems.append(f"request to another host: {request.url}")

    def _on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        text = message.text
        if any(pattern.search(text) for pattern in self.allowed):
            return
        self.problems.append(
            f"console error on {message.page.url if message.page else '?'}: {text}"
        )

    def _on_response(self, response: Any) -> None:
        # Pages may be 4xx on purpose (404, expired form); what they load never is.
        failed = response.status >= 500 or (
            response.status >= 400 and response.request.resource_type != "document"
        )
        if failed:
            self.problems.append(f"status {response.status} for {response.url}")

    def check(self) -> None:
        for context in self.contexts:
            for page in context.pages:
                if not page.is_closed():
                    # Events reach us only while Playwright is talking to the browser.
                    page.evaluate("0")
        if self.problems:
            pytest.fail("browser problems:\n" + "\n".join(self.problems), pytrace=False)


@pytest.fixture
def browser_watch() -> BrowserWatch:
    return BrowserWatch()


class _NeutralHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(NEUTRAL_PAGE)))
        self.end_headers()
        self.wfile.write(NEUTRAL_PAGE)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def neutral_url() -> Iterator[str]:
    """A plain page on 127.0.0.1 standing in for the neutral site Exit this page goes to."""
    server = ThreadingHTTPServer((LOCAL_HOST, 0), _NeutralHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_address[1]}/weather"
    finally:
        server.shutdown()
        server.server_close()


class LiveIntake(str):
    """The base URL of a running intake (a str), with the Flask app behind it as `.app`."""

    app: Flask

    def __new__(cls, url: str, app: Flask) -> LiveIntake:
        live = super().__new__(cls, url)
        live.app = app
        return live


@pytest.fixture
def live_intake(database_url: str, neutral_url: str) -> Iterator[LiveIntake]:
    """A real intake (CSRF on) with a provider key for every service, served on 127.0.0.1."""
    app = create_intake_app(
        {
            **intake_settings(database_url),
            "WTF_CSRF_ENABLED": True,
            "NEUTRAL_EXIT_URL": neutral_url,
        }
    )
    with app.app_context():
        intake_db.drop_all()
        intake_db.create_all()
        register_signed("Test advisor service", PrivateKey.generate().public_key)
        for service in ("idva", "isva", "not_sure"):
            recipients.assign(service, "Test advisor service")
    server = make_server(LOCAL_HOST, 0, app, threaded=True, request_handler=QuietRequestHandler)
    # A short poll interval keeps shutdown() quick (the default waits up to half a second).
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield LiveIntake(f"http://{LOCAL_HOST}:{server.server_port}", app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with app.app_context():
            intake_db.session.remove()
            intake_db.drop_all()
            intake_db.engine.dispose()


@pytest.fixture
def open_page(
    browser: Browser, browser_watch: BrowserWatch, live_intake: LiveIntake
) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh, watched browser context: open_page(**context_options)."""
    contexts: list[BrowserContext] = []

    def opener(**options: Any) -> Page:
        context = browser.new_context(base_url=live_intake, **options)
        context.set_default_timeout(10_000)
        if options.get("java_script_enabled") is False:
            SCRIPTLESS.add(context)
        browser_watch.attach(context)
        contexts.append(context)
        return context.new_page()

    yield opener
    for context in contexts:
        close_copy(context)
        context.close()


@pytest.fixture
def phone(open_page: Callable[..., Page]) -> Page:
    """A 320 x 640 touch phone with JavaScript on."""
    return open_page(**PHONE)


@pytest.fixture
def desktop(open_page: Callable[..., Page]) -> Page:
    return open_page(**DESKTOP)


@pytest.fixture
def no_js(open_page: Callable[..., Page]) -> Page:
    """A 320 px wide phone with JavaScript turned off."""
    return open_page(**NO_JS)
