"""The yardstick for benchmarks/pages.py: a bare Flask app that answers each intake page's path
with the bytes the intake sent for it, and nothing else (no session, headers or database).

    gunicorn -c gunicorn.conf.py 'benchmarks.bare_route:create_app()'   (BARE_PAGES=dir)
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import Flask, Response


def create_app() -> Flask:
    """Each path in BARE_PAGES/index.json answered with its saved body."""
    pages = Path(os.environ["BARE_PAGES"])
    index: dict[str, str] = json.loads((pages / "index.json").read_text())
    bodies = {path: (pages / name).read_bytes() for path, name in index.items()}
    app = Flask(__name__)

    def answer(path: str = "") -> Response:
        return Response(bodies["/" + path], mimetype="text/html")

    app.add_url_rule("/", view_func=answer)
    app.add_url_rule("/<path:path>", view_func=answer)
    return app
