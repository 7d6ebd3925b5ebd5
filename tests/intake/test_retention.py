"""Retention at intake: each rule purges exactly what it should and nothing else, on a clock
the test sets, and purged markers are gone from the raw SQLite file (or a pg_dump)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from app.extensions import intake_db as db
from app.intake import retention
from app.models.intake import Message, Recipient, Referral
from crypto.keys import PrivateKey

TODAY = date(2026, 12, 5)
PERIODS = retention.Periods()  # the defaults: 90, 30, 6 years, 400, 7 years


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def add(app: Flask, name: str, received: int, **row: object) -> None:
    """A referral whose id, lookup id, key and message all carry `name` as a marker."""
    with app.app_context():
        recipient = db.session.scalars(select(Recipient)).one()
        db.session.add(Referral(
            id=f"{name}-referral", service="idva", recipient_id=recipient.id,
            received_on=days_ago(received), lookup_id=f"{name}-lookup",
            referrer_public_key=f"{name}-referrer-key".encode(), **row,
        ))
        db.session.add(Message(
            id=f"{name}-message", referral_id=f"{name}-referral", position=1, author="advisor",
            sent_on=days_ago(received), sealed_for_referrer=f"{name}-reply".encode(),
        ))
        db.session.commit()


def state(app: Flask, name: str) -> tuple[bool, bool, bool]:
    """(row kept, link kept, messages kept) for one referral."""
    with app.app_context():
        referral = db.session.get(Referral, f"{name}-referral")
        messages = db.session.scalars(
            select(Message).where(Message.referral_id == f"{name}-referral")).all()
        link = referral is not None and referral.lookup_id is not None
        return referral is not None, link, bool(messages)


def run(app: Flask, on: date = TODAY) -> retention.Purged:
    with app.app_context():
        return retention.purge(db.session, on, PERIODS)


def stored_bytes(app: Flask, database_url: str, database: SQLAlchemy = db) -> bytes:
    """Everything the database holds, as raw bytes: the SQLite files, or a pg_dump."""
    with app.app_context():
        database.session.remove()
        database.engine.dispose()
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"),
                                                 Path(f"{path}-journal")) if p.exists())
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed: the dump cannot be checked")
    dump = subprocess.run(  # a fixed tool on the test's own database
        ["pg_dump", "--data-only", url.set(drivername="postgresql").render_as_string(False)],
        capture_output=True, check=True,
    )
    return dump.stdout


def holds(raw: bytes, marker: bytes) -> bool:
    """A marker in the stored bytes, as text or as pg_dump writes bytea (hex)."""
    return marker in raw or marker.hex().encode() in raw


def test_a_delivered_referrals_sealed_copy_is_purged_and_nothing_else(
    app: Flask, provider_key: PrivateKey
):
    add(app, "delivered", 5, delivered_on=days_ago(4), status="delivered", sealed=b"sealed-x")
    add(app, "waiting", 5, sealed=b"waiting-sealed")
    assert run(app).sealed_copies == 1
    with app.app_context():
        assert db.session.get(Referral, "delivered-referral").sealed is None
        assert db.session.get(Referral, "waiting-referral").sealed == b"waiting-sealed"
    assert state(app, "delivered") == (True, True, True)


def test_an_undelivered_referral_is_deleted_whole_after_the_configured_time(
    app: Flask, provider_key: PrivateKey, database_url: str
):
    add(app, "stale-undelivered", 91, sealed=b"stale-sealed-blob")
    add(app, "fresh-undelivered", 90, sealed=b"fresh-sealed-blob")
    assert run(app).undelivered == 1
    assert state(app, "stale-undelivered") == (False, False, False)
    assert state(app, "fresh-undelivered") == (True, True, True)
    raw = stored_bytes(app, database_url)
    for marker in (b"stale-undelivered", b"stale-sealed-blob"):
        assert not holds(raw, marker)
    assert holds(raw, b"fresh-undelivered-lookup")  # the check can see what is kept


def test_the_referrers_link_goes_a_month_after_closing_and_the_stub_stays(
    app: Flask, provider_key: PrivateKey, database_url: str
):
    add(app, "closed-long-ago", 60, status="closed", delivered_on=days_ago(59),
        closed_on=days_ago(31), closure_reason="support_completed")
    add(app, "closed-lately", 60, status="closed", delivered_on=days_ago(59),
        closed_on=days_ago(30), closure_reason="support_completed")
    add(app, "still-open", 60, status="with_advisor", delivered_on=days_ago(59))
    assert run(app).links == 1
    assert state(app, "closed-long-ago") == (True, False, False)
    with app.app_context():
        stub = db.session.get(Referral, "closed-long-ago-referral")
        assert stub.referrer_public_key is None
        assert (stub.closed_on, stub.closure_reason) == (days_ago(31), "support_completed")
    assert state(app, "closed-lately") == (True, True, True)
    assert state(app, "still-open") == (True, True, True)
    raw = stored_bytes(app, database_url)
    for marker in (b"closed-long-ago-lookup", b"closed-long-ago-referrer-key",
                   b"closed-long-ago-reply", b"closed-long-ago-message"):
        assert not holds(raw, marker), marker
    assert holds(raw, b"closed-lately-reply")


def test_a_referral_never_closed_loses_its_link_at_the_maximum(
    app: Flask, provider_key: PrivateKey
):
    add(app, "forgotten", 6 * 365 + 1, status="with_advisor", delivered_on=days_ago(2000))
    add(app, "long-running", 6 * 365, status="with_advisor", delivered_on=days_ago(2000))
    assert run(app).links == 1
    assert state(app, "forgotten") == (True, False, False)
    assert state(app, "long-running") == (True, True, True)


def test_the_stub_goes_once_every_period_it_counts_in_is_released(
    app: Flask, provider_key: PrivateKey, database_url: str
):
    add(app, "old-closed", 500, status="closed", delivered_on=days_ago(499),
        closed_on=days_ago(401), closure_reason="declined")
    add(app, "recent-closed", 500, status="closed", delivered_on=days_ago(499),
        closed_on=days_ago(400), closure_reason="declined")
    # Withdrawn, and the provider not yet told (delivered_on still set): kept to tell it.
    add(app, "pending-withdrawal", 500, status="withdrawn", delivered_on=days_ago(499),
        closed_on=days_ago(401), closure_reason="withdrawn_by_referrer")
    add(app, "told-withdrawal", 500, status="withdrawn", closed_on=days_ago(401),
        closure_reason="withdrawn_by_referrer")
    purged = run(app)
    assert purged.stubs == 2
    assert state(app, "old-closed")[0] is False
    assert state(app, "told-withdrawal")[0] is False
    assert state(app, "recent-closed")[0] is True
    assert state(app, "pending-withdrawal")[0] is True
    raw = stored_bytes(app, database_url)
    assert not holds(raw, b"old-closed-referral")
    assert not holds(raw, b"told-withdrawal-referral")
    assert holds(raw, b"recent-closed-referral")


def test_every_stub_goes_at_the_maximum_whatever_its_state(
    app: Flask, provider_key: PrivateKey
):
    add(app, "ancient", 7 * 365 + 1, status="withdrawn", delivered_on=days_ago(2600),
        closed_on=days_ago(2600), closure_reason="withdrawn_by_referrer")
    add(app, "old-but-within", 7 * 365, status="with_advisor", delivered_on=days_ago(2500))
    assert run(app).stubs == 1
    assert state(app, "ancient")[0] is False
    assert state(app, "old-but-within")[0] is True


def test_a_second_run_the_same_day_purges_nothing(app: Flask, provider_key: PrivateKey):
    add(app, "stale", 91, sealed=b"x")
    add(app, "closed", 60, status="closed", delivered_on=days_ago(59), closed_on=days_ago(31),
        closure_reason="other")
    assert run(app) != retention.Purged()
    assert run(app) == retention.Purged()


def test_the_command_uses_the_configured_periods_and_logs_only_counts(
    app: Flask, provider_key: PrivateKey, caplog: pytest.LogCaptureFixture
):
    add(app, "eleven-days", (TODAY - date.today()).days + 11, sealed=b"x")  # by the real clock
    app.config["INTAKE_UNDELIVERED_DAYS"] = 10
    caplog.set_level("INFO")
    result = app.test_cli_runner().invoke(args=["retention", "purge"])
    assert result.exit_code == 0, result.output
    assert "1 undelivered referrals" in result.output
    assert state(app, "eleven-days")[0] is False
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "1 undelivered referrals" in logged and "eleven-days" not in logged


def test_sqlite_connections_overwrite_deleted_content(app: Flask):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("secure_delete is SQLite's")
        assert db.session.execute(sa.text("PRAGMA secure_delete")).scalar_one() == 1
