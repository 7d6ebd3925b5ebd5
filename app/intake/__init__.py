"""The intake surface: anonymous self-referral, and return with a reference phrase."""

from flask import Blueprint

bp = Blueprint("intake", __name__)

from app.intake import views  # noqa: E402, F401  (routes register on import)
