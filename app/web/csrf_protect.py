"""Flask-WTF's CSRFProtect, asking the request's method first.

Its before_request looks up the view's and blueprint's exemptions on every request, and only
then sees that the method is one it never checks (GET, HEAD, OPTIONS): most requests. The
method is the cheaper question and gives the same answer, so it is asked first; every method
Flask-WTF checks (WTF_CSRF_METHODS) goes through its own protect() unchanged.
"""

from __future__ import annotations

from flask import current_app, request
from flask_wtf import CSRFProtect


class MethodFirstCSRFProtect(CSRFProtect):  # type: ignore[misc]
    def protect(self, apply_exemptions: bool = False) -> None:
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return
        super().protect(apply_exemptions)
