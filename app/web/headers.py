"""Security headers for every response (G7), set in one place.

Every response of both apps gets them, error pages, redirects, static files and the delivery
API's JSON included, because they are set in after_request handlers that Flask runs for all
of those. Flask-Talisman writes the CSP, frame, referrer and Permissions-Policy headers, with
the same options in both apps (its one instance is shared, so no option may differ per app);
what depends on the app or the request (HTTPS redirect, HSTS, Secure cookies) is done here.
Behind the TLS front, ProxyFix (TRUSTED_PROXIES) makes request.is_secure true.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, abort, current_app, has_request_context, redirect, request
from werkzeug.wrappers import Response as WerkzeugResponse

from app.extensions import talisman
from app.web.fixed_talisman import FixedHeaders

# Nothing by default; only what the pages use: our own scripts, stylesheet, images (the
# favicon, CSS backgrounds) and form posts. The standards charts add their style hashes per
# response (app/standards/charts.py).
CONTENT_SECURITY_POLICY = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "object-src": "'none'",  # default-src covers it; said again for scanners that look only here
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# No page needs any of these powerful features, so none may be used, by us or by anything
# injected.
DENIED_FEATURES = (
    "accelerometer",
    "autoplay",
    "browsing-topics",
    "camera",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "geolocation",
    "gyroscope",
    "hid",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)

# Two years, subdomains and preload: what the HSTS preload list asks for.
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains; preload"


def init_app(app: Flask) -> None:
    talisman.init_app(
        app,
        force_https=False,  # _https_only: it redirects to the configured address, not Host
        strict_transport_security=False,  # _transport_headers: also in production over http
        session_cookie_secure=False,  # config SESSION_COOKIE_SECURE, and SecureCookieResponse
        session_cookie_samesite="Strict",
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="no-referrer",
        permissions_policy={feature: "()" for feature in DENIED_FEATURES},
    )
    app.response_class = SecureCookieResponse
    # Flask-WTF's strict mode wants a same-origin Referer on every HTTPS post, but
    # Referrer-Policy: no-referrer means browsers send none, so every form would fail in
    # production. The signed token and SameSite=Strict cookies stay; _no_cross_site_posts
    # asks the browser's own Sec-Fetch-Site instead, which no page can set or suppress.
    app.config["WTF_CSRF_SSL_STRICT"] = False
    app.before_request(_no_cross_site_posts)
    app.before_request(_https_only)
    app.after_request(_transport_headers)
    app.after_request(_no_store)


def _production() -> bool:
    return bool(current_app.config.get("ENV_NAME") == "production")


class SecureCookieResponse(Response):
    """Every cookie set or deleted over HTTPS is Secure, whatever set it (the session
    interface sets its cookie after the after_request handlers, so they cannot mark it).
    Every cookie is HttpOnly and SameSite=Strict, deletions too (werkzeug's delete_cookie
    drops both): the only cookies are session cookies, and no script ever reads them."""

    def set_cookie(self, key: str, *args: Any, **kwargs: Any) -> None:
        if has_request_context() and request.is_secure:
            kwargs["secure"] = True
        kwargs["httponly"] = True
        kwargs["samesite"] = kwargs.get("samesite") or "Strict"
        super().set_cookie(key, *args, **kwargs)


def _no_cross_site_posts() -> None:
    """A post, put or delete that the browser says came from another site is refused."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        abort(403)


def _https_only() -> WerkzeugResponse | None:
    """In production, plain http goes to the same path on the configured https address.

    The configured base URL, never the request's Host, so a forged Host cannot send anyone
    elsewhere. Behind the TLS front, ProxyFix makes request.is_secure true.
    """
    if not _production() or request.is_secure:
        return None
    base = current_app.config.get("INTAKE_BASE_URL") or current_app.config.get(
        "CONSOLE_BASE_URL", ""
    )
    host = str(base).split("://", 1)[-1].rstrip("/")
    query = request.query_string.decode("ascii", "replace")
    target = f"https://{host}{request.path}" + (f"?{query}" if query else "")
    return redirect(target, code=301)


def _transport_headers(response: Response) -> Response:
    """HSTS whenever the request came over HTTPS, and always in production."""
    if request.is_secure or _production():
        response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return response


# Nothing the person saw may stay in the browser's cache for someone else to find.
NO_STORE = FixedHeaders.of(
    [
        ("Cache-Control", "no-store, max-age=0"),
        ("Pragma", "no-cache"),
        ("X-Content-Type-Options", "nosniff"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
    ]
)


def _no_store(response: Response) -> Response:
    NO_STORE.write(response.headers)
    return response
