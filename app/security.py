"""Security headers for every response (G7), set in one place.

Flask-Talisman writes the CSP, frame, referrer and HSTS headers; we add no-store caching so
nothing the person saw stays in the browser cache for someone else to find.
"""

from __future__ import annotations

from flask import Flask, Response

from app.extensions import talisman

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def init_app(app: Flask) -> None:
    production = app.config.get("ENV_NAME") == "production"
    talisman.init_app(
        app,
        force_https=production,
        strict_transport_security=production,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="no-referrer",
        session_cookie_secure=production,
        permissions_policy={
            "camera": "()",
            "microphone": "()",
            "geolocation": "()",
            "interest-cohort": "()",
        },
    )
    app.after_request(_no_store)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store, max-age=0"
    response.headers["Pragma"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
