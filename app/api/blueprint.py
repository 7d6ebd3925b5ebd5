"""The delivery API's blueprint: bearer-token authentication and per-token limits for every
route under /api/v1 (the routes are in views.py and returns.py).

The delivery API (DESIGN section 1) is JSON for the provider console only.

The console pulls sealed referrals and referrer messages and pushes back sealed replies and
content-free workflow dates. Authentication is a per-recipient bearer token, so there are no
cookies and no CSRF (the app factory exempts this blueprint), and every limit is per token.
docs/openapi.yaml is the contract; tests check every response against it.
"""

from __future__ import annotations

from flask import Blueprint, g, request

from app.api import auth, errors
from app.extensions import limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
PUBLIC_ENDPOINTS = {"api.openapi_document"}
# Above the app-wide form limit: a reply may be an 80 KiB envelope, base64 inside JSON.
MAX_BODY_BYTES = 128 * 1024

errors.init_blueprint(bp)
limiter.limit(auth.rate_limit, key_func=auth.rate_limit_key)(bp)


@bp.before_request
def _authenticate() -> None:
    request.max_content_length = MAX_BODY_BYTES
    if request.endpoint not in PUBLIC_ENDPOINTS:
        g.recipient_id = auth.require_token()

