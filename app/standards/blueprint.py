"""The standards blueprint, mounted at /standards on the intake app. Deny by default:
every route but sign-in and setup needs a signed-in analyst (access.require_analyst)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, render_template
from werkzeug.exceptions import HTTPException

from app.standards import access, charts

bp = Blueprint("standards", __name__, url_prefix="/standards")
bp.before_request(access.require_analyst)
# Charts carry <style> elements: their hashes go into this response's CSP (charts.py).
bp.after_request(charts.content_security_policy)


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


@bp.context_processor
def _page_context() -> dict[str, Any]:
    return {"analyst": access.signed_in_analyst(), "long_date": long_date}


# Errors raised in a standards page keep the standards layout (no intake "Exit this page").
ERRORS = {
    404: ("Page not found", "If you typed the web address, check it is correct."),
    429: (
        "Please wait before trying again",
        "You have tried too many times. Wait a few minutes and try again.",
    ),
}


@bp.errorhandler(HTTPException)
def _error(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    heading, body = ERRORS.get(code, ("Something went wrong", "Go back and try again."))
    return render_template("standards/error.html", heading=heading, body=body), code
