"""The provider console's blueprint; each *_views module adds one area's routes to it."""

from flask import Blueprint

bp = Blueprint("console", __name__)
