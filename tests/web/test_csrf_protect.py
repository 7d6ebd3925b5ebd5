"""CSRF checks ask the method first (app/web/csrf_protect.py): every method Flask-WTF checks is
still checked, exemptions still hold, and a GET is never refused for want of a token."""

from __future__ import annotations

from flask import Flask


def test_a_post_without_a_token_is_refused_and_a_get_is_served(app: Flask, client):
    assert client.get("/referral/service").status_code == 200
    refused = client.post("/referral/service", data={"service": "idva"})
    assert refused.status_code == 400


def test_every_method_flask_wtf_checks_is_still_checked(app: Flask, client):
    app.add_url_rule("/test-only/any", "test_any", lambda: "changed",
                     methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    assert client.get("/test-only/any").status_code == 200
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert client.open("/test-only/any", method=method).status_code == 400, method


def test_an_exempt_view_is_still_exempt(app: Flask, client):
    assert client.post("/exit").status_code == 303
