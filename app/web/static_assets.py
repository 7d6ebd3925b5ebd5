"""Static files through WhiteNoise: hashed names cached for a year, gzip and brotli (issue 12).

scripts/build-assets.sh writes a content-hashed copy of every asset and app/static/manifest.json
(scripts/fingerprint_assets.py), then pre-compressed .gz and .br copies. Templates ask for an
asset by its plain name, `asset_url('dist/application.css')`, and get the hashed one, so a
browser keeps it until its content changes. WhiteNoise answers before Flask, so the security
headers Flask adds to every response are added here too (G7), computed once per app.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from wsgiref.headers import Headers

from flask import Flask, url_for
from werkzeug.middleware.proxy_fix import ProxyFix
from whitenoise import WhiteNoise  # type: ignore[import-untyped]

from app.web.headers import (
    CONTENT_SECURITY_POLICY,
    DENIED_FEATURES,
    STRICT_TRANSPORT_SECURITY,
)

# The 12 hex digits scripts/fingerprint_assets.py puts before the suffix.
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.[a-z0-9]+$")


def static_headers() -> dict[str, str]:
    """What Flask's after_request handlers put on a static file, as fixed strings.

    HSTS always: browsers ignore it over plain http (RFC 6797 section 8.1), and WhiteNoise
    does not say whether the request came over https.
    """
    return {
        "Content-Security-Policy": "; ".join(
            f"{directive} {value}" for directive, value in CONTENT_SECURITY_POLICY.items()
        ),
        "Permissions-Policy": ", ".join(f"{feature}=()" for feature in DENIED_FEATURES),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Strict-Transport-Security": STRICT_TRANSPORT_SECURITY,
    }


def is_hashed(path: str, url: str) -> bool:
    return bool(HASHED_NAME.search(url))


def load_manifest(static_folder: Path) -> dict[str, str]:
    """Plain name to hashed name; empty before the first build, when plain names are served."""
    try:
        manifest: dict[str, str] = json.loads((static_folder / "manifest.json").read_text())
    except FileNotFoundError:
        return {}
    return manifest


class StaticFiles(WhiteNoise):  # type: ignore[misc]
    """WhiteNoise, except that plain http in production goes on to Flask, which redirects it
    to the https address (app/web/headers.py), as it does every page."""

    def __init__(self, app: Flask, application: Any, **options: Any) -> None:
        super().__init__(application, **options)
        self.config = app.config

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        plain = environ.get("wsgi.url_scheme") != "https"
        if plain and self.config.get("ENV_NAME") == "production":
            return self.application(environ, start_response)  # type: ignore[no-any-return]
        return super().__call__(environ, start_response)  # type: ignore[no-any-return]


def init_app(app: Flask) -> None:
    assert app.static_folder is not None and app.static_url_path is not None
    static_folder = Path(app.static_folder)
    manifest = load_manifest(static_folder)
    fixed = static_headers()

    def add_headers(headers: Headers, path: str, url: str) -> None:
        for name, value in fixed.items():
            headers[name] = value

    def asset_url(name: str) -> str:
        return url_for("static", filename=manifest.get(name, name))

    app.jinja_env.globals["asset_url"] = asset_url
    # Beneath ProxyFix (TRUSTED_PROXIES), so the scheme is the one the TLS front saw.
    outer = app.wsgi_app if isinstance(app.wsgi_app, ProxyFix) else None
    served = StaticFiles(
        app,
        outer.app if outer else app.wsgi_app,
        root=str(static_folder),
        prefix=app.static_url_path,
        max_age=60,  # plain names (favicon.svg asked for by name) may change at any release
        allow_all_origins=False,  # no other site needs our files
        add_headers_function=add_headers,
        # Hashed names change with their content: WhiteNoise's ten years, immutable.
        immutable_file_test=is_hashed,
    )
    if outer:
        outer.app = served
    else:
        app.wsgi_app = served  # type: ignore[method-assign]
