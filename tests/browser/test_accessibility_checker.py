"""The axe-core checker itself: catches a violation, passes a clean page,
and works on a page whose CSP allows only same-origin scripts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.accessibility import (
    assert_no_axe_violations,
    axe_violations,
    launch_chromium,
)

pytestmark = pytest.mark.browser

CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'"

# The inline script must be blocked by the CSP: it proves the CSP is enforced
# while axe still runs.
BAD = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Bad page</title></head>
<body><main><h1>Bad page</h1>
<img src="/pixel.gif">
<script>window.inlineRan = true;</script>
</main></body></html>"""

GOOD = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Good page</title></head>
<body><main><h1>Good page</h1>
<img src="/pixel.gif" alt="A single pixel">
<p>Plain text.</p>
<script src="/same-origin.js"></script>
</main></body></html>"""

PIXEL = bytes.fromhex(
    "47494638396101000100800000ffffff00000021f90401000000002c00000000010001000002024401003b"
)

ROUTES = {
    "/bad": ("text/html; charset=utf-8", BAD),
    "/good": ("text/html; charset=utf-8", GOOD),
    "/pixel.gif": ("image/gif", PIXEL),
    "/same-origin.js": ("text/javascript", b"window.sameOriginRan = true;"),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path not in ROUTES:
            self.send_error(404)
            return
        content_type, body = ROUTES[self.path]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


def test_catches_image_without_alt_under_strict_csp(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/bad")
    assert page.evaluate("window.inlineRan === undefined"), "CSP did not block inline script"

    ids = [v["id"] for v in axe_violations(page)]
    assert "image-alt" in ids

    with pytest.raises(AssertionError) as excinfo:
        assert_no_axe_violations(page)
    message = str(excinfo.value)
    assert "image-alt [critical]" in message
    assert "img" in message


def test_passes_clean_page_under_strict_csp(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/good")
    assert page.evaluate("window.sameOriginRan === true"), "same-origin script did not run"
    assert_no_axe_violations(page)
