"""G4: no IP address, user agent, referrer header or time of day is stored or logged anywhere.

Every request here comes from a marked address, with a marked user agent and Referer header.
The journey runs with rate limits on and goes through the error paths (a 404, a CSRF failure,
an unexpected exception, a rate limit); then the logs, stderr, the rate-limit store and the
database are searched for the marks and for anything shaped like a time of day.
"""

import configparser
import logging
import re
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from app import create_intake_app
from app.extensions import intake_db, limiter
from app.web.privacy_logging import (
    LOG_FORMAT,
    QuietRequestHandler,
    anonymous_client_key,
    configure_logging,
)
from tests.conftest import intake_settings
from tests.database_scan import (
    all_log_text,
    every_value,
    markers_at_rest,
    markers_in_tables,
    raw_dates,
    restore_streams,
    root_handlers_to_current_stderr,
    verbose_logging,
)
from tests.referrer import Referrer

ADDRESS = "203.0.113.77"
AGENT = "MarkerAgent/9.9"
REFERER = "https://referer.example/marker"
CLIENT = {"REMOTE_ADDR": ADDRESS, "HTTP_USER_AGENT": AGENT, "HTTP_REFERER": REFERER}
TIME_OF_DAY = re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\b")
EXCEPTION_TEXT = f"MARKER-in-exception from {ADDRESS} at 13:45"
ROOT = Path(__file__).resolve().parents[2]


def explode():
    raise ValueError(EXCEPTION_TEXT)


@pytest.fixture
def app(database_url):
    """A fresh intake app with rate limits on and one route that fails unexpectedly."""
    app = create_intake_app({**intake_settings(database_url), "RATELIMIT_ENABLED": True})
    app.add_url_rule("/explode", "explode", explode)
    with app.app_context():
        intake_db.drop_all()
        intake_db.create_all()
    yield app
    with app.app_context():
        intake_db.session.remove()
        intake_db.drop_all()
        intake_db.engine.dispose()


@pytest.fixture
def visitor(client, provider_key):
    client.environ_base.update(CLIENT)
    return Referrer(client)


def client_key(app):
    """The rate-limit key the marked address gets today."""
    with app.test_request_context(environ_base=CLIENT):
        return anonymous_client_key()


def walk_through(visitor):
    """Refer, come back, write, then hit every error path; each step checked as it goes."""
    client = visitor.client
    phrase = visitor.refer()
    assert visitor.sign_in(phrase).status_code == 303
    assert visitor.send_message("Mornings are best").status_code == 303
    assert client.get("/status").status_code == 200
    assert client.get("/no-such-page").status_code == 404
    assert client.post("/status", data={"body": "no token"}).status_code == 400
    assert client.get("/explode").status_code == 500
    codes = [visitor.sign_in("abandon " * 8).status_code for _ in range(12)]
    assert 429 in codes, codes
    assert client.get("/sign-out").status_code == 303


def forbidden_in(text):
    found = [mark for mark in (ADDRESS, AGENT, REFERER, "referer.example", "MarkerAgent")
             if mark.lower() in text.lower()]
    return found + TIME_OF_DAY.findall(text)


def test_a_whole_journey_and_its_errors_log_no_address_agent_referer_or_time(
    app, visitor, caplog, capfd
):
    with verbose_logging(caplog, sql_level=logging.INFO):
        walk_through(visitor)
    output = capfd.readouterr()
    logged = all_log_text(caplog)
    # The capture saw the error paths (walk_through checked the 404, 400, 500 and 429).
    assert "unhandled ValueError" in logged and "unhandled ValueError" in output.err
    assert "The CSRF token is missing" in logged
    assert forbidden_in(logged) == []
    assert forbidden_in(output.out + output.err) == []
    # The rate-limit key is a keyed hash of the address: anyone holding SECRET_KEY can
    # reverse it by trying every IPv4 address, so it must not reach a log either.
    assert client_key(app) not in logged + output.err


def test_an_unexpected_error_is_logged_by_type_and_place_without_its_message(
    app, visitor, caplog, capfd
):
    with verbose_logging(caplog, sql_level=logging.WARNING):
        assert visitor.client.get("/explode").status_code == 500
    output = capfd.readouterr()
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1
    line = logging.Formatter(LOG_FORMAT).format(errors[0])
    assert "ValueError" in line and "test_no_identifying_metadata.py" in line
    assert "MARKER-in-exception" not in line and errors[0].exc_info is None
    assert forbidden_in(line) == []
    assert "MARKER-in-exception" not in all_log_text(caplog) + output.out + output.err
    assert "MARKER-in-exception" not in visitor.client.get("/explode").get_data(as_text=True)


def test_rate_limits_count_a_daily_keyed_hash_never_the_address(app, visitor):
    walk_through(visitor)
    stored = repr(vars(limiter.storage))
    assert client_key(app) in stored
    assert ADDRESS not in stored
    assert ADDRESS.encode().hex() not in stored


def test_the_database_after_a_journey_holds_no_address_agent_or_referer(
    app, visitor, database_url
):
    walk_through(visitor)
    marks = [ADDRESS, AGENT, REFERER, client_key(app)]
    with app.app_context():
        assert markers_in_tables(intake_db.engine, marks) == {}
    assert markers_at_rest(database_url, marks) == {}


def test_every_date_column_holds_a_day_and_no_column_holds_a_moment(app, visitor):
    walk_through(visitor)
    Referrer(app.test_client()).answer("service", {"service": "idva"})  # an unsent draft
    with app.app_context():
        dates = raw_dates(intake_db.engine)
        values = list(every_value(intake_db.engine))
    filled = {where for where, found in dates.items() if found}
    assert {"referrals.received_on", "messages.sent_on", "draft_sessions.expires_on"} <= filled
    for where, found in dates.items():
        assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) for value in found), (where, found)
    now = time.time()
    for where, value in values:
        if isinstance(value, str):
            assert not TIME_OF_DAY.search(value), (where, value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            assert abs(value - now) > 10**8 and abs(value - now * 1000) > 10**11, (where, value)


def test_log_lines_carry_level_logger_and_message_only(capfd):
    root = logging.getLogger()
    saved = root.handlers[:], root.level, logging.getLogger("werkzeug").level
    try:
        configure_logging()
        formatters = [handler.formatter for handler in root.handlers]
        assert formatters and all(f is not None and not f.usesTime() for f in formatters)
        assert "asctime" not in LOG_FORMAT
        logging.getLogger("app.example").warning("referral not stored: %s", "OperationalError")
        line = "WARNING app.example: referral not stored: OperationalError\n"
        assert capfd.readouterr().err == line
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        logging.getLogger("werkzeug").setLevel(saved[2])


def test_the_migration_log_format_has_no_time_either():
    """`flask db upgrade` and the demo's in-process upgrade log with alembic.ini's format."""
    parser = configparser.RawConfigParser()
    assert parser.read(ROOT / "migrations" / "intake" / "alembic.ini")
    formats = [parser[section]["format"] for section in parser.sections()
               if section.startswith("formatter_")]
    assert formats and all("asctime" not in fmt for fmt in formats)


def serve(app, handler, caplog):
    """Run a real development server with `handler`, send it a good and a malformed request."""
    server = make_server("127.0.0.1", 0, app, request_handler=handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.port}/privacy",
            headers={"User-Agent": AGENT, "Referer": REFERER},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
            raw.sendall(b"BOGUS\r\n\r\n")
            assert b"400" in raw.recv(4096)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
    return all_log_text(caplog)


def test_the_development_server_writes_no_request_line(app, caplog, capfd):
    # Even with Werkzeug's own logger turned up to DEBUG, the handler itself stays quiet.
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="werkzeug")
    changed = root_handlers_to_current_stderr()
    try:
        stock = serve(app, WSGIRequestHandler, caplog)
        caplog.clear()
        capfd.readouterr()
        quiet = serve(app, QuietRequestHandler, caplog)
        output = capfd.readouterr()
    finally:
        restore_streams(changed)
    # Werkzeug's stock handler logs address, time and path: the capture would see them.
    assert "127.0.0.1" in stock and TIME_OF_DAY.search(stock) and "GET /privacy" in stock
    # The quiet one keeps only the problem with the malformed request.
    assert "Bad request syntax" in quiet
    for text in (quiet, output.out + output.err):
        assert "127.0.0.1" not in text and "/privacy" not in text
        assert forbidden_in(text) == []
