"""Flask-Talisman's headers, worked out once per view (app/web/fixed_talisman.py), are exactly
what Flask-Talisman itself writes for that request, on every response, in any order."""

from __future__ import annotations

from flask import Flask
from flask_talisman import Talisman

from app.extensions import talisman
from app.web.fixed_talisman import HEADERS

PATHS = ("/", "/privacy", "/referral/service", "/return", "/no-such-page", "/static/favicon.svg")
HTTPS = "https://localhost"


def written_by_talisman_itself(app: Flask, path: str, base_url: str) -> list[tuple[str, str]]:
    """What stock Flask-Talisman's own after_request writes for this request."""
    with app.test_request_context(path, base_url=base_url):
        response = app.response_class()
        blank = set(response.headers.keys())  # Content-Type and length, not Talisman's
        Talisman._set_response_headers(talisman, response)
        return [(name, value) for name, value in response.headers if name not in blank]


def test_every_response_carries_exactly_the_headers_talisman_itself_writes(app, client):
    for _ in range(2):  # the first response fills the kept headers, the second uses them
        for base_url in ("http://localhost", HTTPS):
            for path in PATHS:
                expected = written_by_talisman_itself(app, path, base_url)
                response = client.get(path, base_url=base_url)
                sent = [(name, response.headers.get(name)) for name, _ in expected]
                assert expected and sent == expected, (path, base_url)
    assert app.extensions[HEADERS]  # the kept headers were used, not rebuilt each time


def test_the_kept_headers_hold_nothing_that_depends_on_the_request(app, client):
    client.get("/privacy", base_url=HTTPS)
    kept = {name for fixed in app.extensions[HEADERS].values() for name, _ in fixed.pairs}
    assert "Strict-Transport-Security" not in kept
    assert kept >= {"Content-Security-Policy", "Permissions-Policy", "X-Frame-Options",
                    "Referrer-Policy"}


def test_a_view_with_its_own_talisman_options_keeps_them(app, client):
    @talisman(frame_options="SAMEORIGIN", content_security_policy="default-src 'self'")
    def own_options() -> str:
        return "framed"

    app.add_url_rule("/test-only/own-options", "test_own_options", own_options)
    for _ in range(2):
        answer = client.get("/test-only/own-options")
        assert answer.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert answer.headers["Content-Security-Policy"] == "default-src 'self'"
    assert client.get("/privacy").headers["X-Frame-Options"] == "DENY"


def test_fixed_headers_leave_a_response_exactly_as_setting_each_one_would():
    from werkzeug.datastructures import Headers

    from app.web.fixed_talisman import FixedHeaders

    fixed = [("Pragma", "no-cache"), ("X-Content-Type-Options", "nosniff"), ("Vary", "Cookie")]
    starts = (
        [("Content-Type", "text/html")],
        [("Content-Type", "text/html"), ("x-content-type-options", "sniff"), ("Vary", "A"),
         ("Vary", "B")],
    )
    for start in starts:
        by_set, by_fixed = Headers(start), Headers(start)
        for name, value in fixed:
            by_set[name] = value
        FixedHeaders.of(fixed).write(by_fixed)
        assert list(by_fixed.items()) == list(by_set.items())
