"""Server-side sessions whose contents the server cannot read at rest.

The browser's cookie holds a random session id and a random 256-bit key. The database holds
only the SHA-256 of the id and the session state sealed under that key (AES-256-GCM), so a
database reader learns nothing, and a stolen cookie is useless once the row is gone. The
intake keeps a referrer's unsent answers here (they can outgrow a cookie); the console will
keep an advisor's unwrapped key here, split the same way (DESIGN section 4).

The idle deadline lives inside the sealed state; the row carries only an expiry date for
purging, so no time of day is stored (G4). Flask-Session stores plaintext, hence this module.

No state for strangers (G10): until a session holds something worth keeping (an answer, a
signed-in referrer or advisor), it lives only in a signed cookie, never in a row. Its CSRF
secret and quota id are all it can hold, so a cookieless visitor costs the server nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import time
from datetime import date, timedelta
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from flask_sqlalchemy import SQLAlchemy
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase
from werkzeug.datastructures import CallbackDict

from app.web import signed
from app.web.errors import database_unavailable_page
from crypto.errors import DecryptionError
from crypto.keyfile import unwrap, wrap

log = logging.getLogger(__name__)
LIGHT_KEYS = frozenset({"csrf_token", "sid", "changing"})  # what may live in a cookie-only session
LIGHT_PREFIX = "L."
PAD_TO = 1024  # sealed sizes move in 1 KiB steps, so lengths say little about answers
TOUCH_SECONDS = 60  # an unchanged session is rewritten at most this often, to keep it alive


class SplitSession(CallbackDict, SessionMixin):
    """Session dict that remembers its id and key, and whether it changed."""

    def __init__(
        self,
        initial: dict[str, Any] | None = None,
        token: tuple[bytes, bytes] | None = None,
        seen: float | None = None,
        inert: bool = False,
    ) -> None:
        def on_update(_: CallbackDict) -> None:
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.token = token
        self.seen = seen
        self.inert = inert  # static files: never read or written, so they cannot race
        self.light = False  # came from a cookie-only session
        self.discarded: tuple[bytes, bytes] | None = None
        self.modified = False
        # The store could not be read: app/web/errors.py answers 503 before any view runs,
        # and nothing is written back over the row it could not read.
        self.unavailable = False

    def regenerate(self) -> None:
        """Empty the session and give it a new id and key on save (after any sign-in), so
        an id planted in the browser beforehand is worth nothing afterwards."""
        self.clear()
        if self.token is not None:
            self.discarded, self.token = self.token, None


def _row_id(session_id: bytes) -> str:
    return hashlib.sha256(session_id).hexdigest()


class SplitSessionInterface(SessionInterface):
    """Flask session interface backed by a table with columns (id, sealed, expires_on)."""

    def __init__(self, db: SQLAlchemy, model: type[DeclarativeBase]) -> None:
        self.db = db
        table = model.__table__
        if not isinstance(table, Table):
            raise TypeError(f"{model.__name__} must map a single table")
        self.table = table

    def _idle_seconds(self, app: Flask) -> int:
        return int(app.config.get("SESSION_IDLE_MINUTES", 30)) * 60

    def open_session(self, app: Flask, request: Request) -> SplitSession:
        if request.path.startswith(f"{app.static_url_path}/"):
            return SplitSession(inert=True)
        cookie = request.cookies.get(self.get_cookie_name(app), "")
        if cookie.startswith(LIGHT_PREFIX):
            return self._open_light(app, cookie.removeprefix(LIGHT_PREFIX))
        token = self._read_cookie(cookie)
        if token is None:
            return SplitSession()
        session_id, key = token
        try:
            with self.db.engine.connect() as conn:
                sealed = conn.execute(
                    select(self.table.c.sealed).where(self.table.c.id == _row_id(session_id))
                ).scalar_one_or_none()
        except SQLAlchemyError:
            log.warning("session store unavailable; answering 503")
            unread = SplitSession(token=token)
            unread.unavailable = True
            return unread
        if sealed is None:
            return SplitSession()
        try:
            state = json.loads(unwrap(sealed, key, _row_id(session_id).encode()))
        except (DecryptionError, ValueError):
            return SplitSession()
        if time.time() - state["seen"] > self._idle_seconds(app):
            return SplitSession(token=token)  # idle too long: same row, emptied on save
        return SplitSession(state["data"], token=token, seen=state["seen"])

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, SplitSession)
        if session.inert or session.unavailable:
            return
        name = self.get_cookie_name(app)
        if session.discarded is not None:
            self._delete(session.discarded[0])
        if not session:
            if session.token is not None:
                self._delete(session.token[0])
            if session.token is not None or session.light:
                response.delete_cookie(name, path="/", domain=self.get_cookie_domain(app))
            return
        if session.token is None and set(session) <= LIGHT_KEYS:
            self._save_light(app, session, response)
            return
        # Write only what changed (or to keep an idle timer alive): fewer writes, and two
        # overlapping requests cannot put back state that the other one removed.
        recently_seen = session.seen is not None and time.time() - session.seen < TOUCH_SECONDS
        if session.token is not None and not session.modified and recently_seen:
            return
        token = session.token or (secrets.token_bytes(16), secrets.token_bytes(32))
        if not self._store(app, token, dict(session)):
            if session.modified or session.token is None:
                # What this request changed is lost, so its answer must not say otherwise
                # (a redirect to the next question would lead back to the first).
                _become_unavailable(response)
            return
        response.set_cookie(
            name,
            self._write_cookie(token),
            httponly=True,
            secure=self.get_cookie_secure(app),
            samesite="Strict",
            path="/",
        )
        response.vary.add("Cookie")

    def _light_serializer(self, app: Flask) -> URLSafeTimedSerializer:
        return signed.serializer(
            signed.PlainURLSafeTimedSerializer, "cookie-only session v1", app.config["SECRET_KEY"]
        )

    def _open_light(self, app: Flask, value: str) -> SplitSession:
        try:
            data, signed_at = self._light_serializer(app).loads(
                value, max_age=self._idle_seconds(app), return_timestamp=True
            )
        except BadData:
            return SplitSession()
        if not isinstance(data, dict) or not set(data) <= LIGHT_KEYS:
            return SplitSession()
        opened = SplitSession(data, seen=signed_at.timestamp())
        opened.light = True
        return opened

    def _save_light(self, app: Flask, session: SplitSession, response: Response) -> None:
        """Keep a session with nothing to keep in a signed cookie alone: no row (G10)."""
        recently_seen = session.seen is not None and time.time() - session.seen < TOUCH_SECONDS
        if session.light and not session.modified and recently_seen:
            return
        response.set_cookie(
            self.get_cookie_name(app),
            LIGHT_PREFIX + self._light_serializer(app).dumps(dict(session)),
            httponly=True,
            secure=self.get_cookie_secure(app),
            samesite="Strict",
            path="/",
        )
        response.vary.add("Cookie")

    def _store(self, app: Flask, token: tuple[bytes, bytes], data: dict[str, Any]) -> bool:
        session_id, key = token
        row_id = _row_id(session_id)
        raw = json.dumps({"data": data, "seen": int(time.time())}).encode()
        sealed = wrap(raw + b" " * (-len(raw) % PAD_TO), key, row_id.encode())
        expires_on = date.today() + timedelta(days=1)
        try:
            with self.db.engine.begin() as conn:
                changed = conn.execute(
                    update(self.table)
                    .where(self.table.c.id == row_id)
                    .values(sealed=sealed, expires_on=expires_on)
                ).rowcount
                if not changed:
                    conn.execute(delete(self.table).where(self.table.c.expires_on < date.today()))
                    conn.execute(
                        insert(self.table).values(id=row_id, sealed=sealed, expires_on=expires_on)
                    )
        except SQLAlchemyError:
            log.warning("session store unavailable; session not saved")
            return False
        return True

    def _delete(self, session_id: bytes) -> None:
        try:
            with self.db.engine.begin() as conn:
                conn.execute(delete(self.table).where(self.table.c.id == _row_id(session_id)))
        except SQLAlchemyError:
            log.warning("session store unavailable; session not deleted")

    @staticmethod
    def _write_cookie(token: tuple[bytes, bytes]) -> str:
        return base64.urlsafe_b64encode(token[0] + token[1]).decode().rstrip("=")

    @staticmethod
    def _read_cookie(value: str) -> tuple[bytes, bytes] | None:
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        except (ValueError, TypeError):
            return None
        if len(raw) != 48:
            return None
        return raw[:16], raw[16:]


def _become_unavailable(response: Response) -> None:
    """Turn the view's answer into the 503 page in place: the session is saved after every
    view and error handler has run, so nothing else can still change the answer. Headers the
    app already set (security, caching) stay."""
    page = database_unavailable_page()
    response.status_code = page.status_code
    response.set_data(page.get_data())
    response.headers.pop("Location", None)
    response.headers["Content-Type"] = page.headers["Content-Type"]
    response.headers["Retry-After"] = page.headers["Retry-After"]
