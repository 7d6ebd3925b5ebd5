"""Every migration of both apps goes up and down one step at a time with rows in every table.

The revision list is read from each Alembic history, so a new migration is tested as soon as
it lands. At each step up, every table gets a row (foreign keys pointing at rows already in);
rows put in earlier must still be there after every later step, up and down, unless the step
drops their table. Runs on SQLite, and on PostgreSQL in CI's PostgreSQL pass.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade

from app import ROOT, create_console_app, create_intake_app
from app.extensions import console_db, intake_db
from tests.conftest import POSTGRES

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not POSTGRES, reason="runs in the PostgreSQL pass of CI"),
    ),
]


def revisions(kind: str) -> list[str]:
    """The history from the first revision to the head, in order (one head, no branches)."""
    script = ScriptDirectory(str(ROOT / "migrations" / kind))
    assert len(script.get_heads()) == 1, f"{kind} migrations have more than one head"
    return [rev.revision for rev in reversed(list(script.walk_revisions("base", "heads")))]


def a_value(column: sa.Column[Any], conn: sa.Connection, serial: int) -> Any:
    """A value the column accepts: a referenced row's key for a foreign key, else by type."""
    for foreign_key in column.foreign_keys:
        target = foreign_key.column
        return conn.execute(sa.select(target).limit(1)).scalar_one()
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return serial
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 1, 1)
    if isinstance(kind, sa.Date):
        return date(2026, 1, 1)
    if isinstance(kind, sa.LargeBinary):
        return b"\x01" * 16
    length = getattr(kind, "length", None) or 32
    return f"m{serial}"[:length].ljust(min(length, 8), "x")


def fill_empty_tables(conn: sa.Connection, serial: int) -> None:
    """One row in every table that has none, parents first."""
    metadata = sa.MetaData()
    metadata.reflect(bind=conn)
    for table in metadata.sorted_tables:
        if table.name == "alembic_version":
            continue
        if conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one():
            continue
        values = {
            column.name: a_value(column, conn, serial)
            for column in table.columns
            if not (column.primary_key and column.autoincrement is True
                    and isinstance(column.type, sa.Integer) and not column.foreign_keys)
        }
        conn.execute(table.insert().values(**values))


def counts(conn: sa.Connection) -> dict[str, int]:
    names = sa.inspect(conn).get_table_names()
    return {
        name: conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
        for name in names
        if name != "alembic_version"
    }


def drop_everything(engine: sa.Engine) -> None:
    metadata = sa.MetaData()
    metadata.reflect(bind=engine)
    metadata.drop_all(bind=engine)


def walk_up_and_down(app: Flask, engine: sa.Engine, history: list[str]) -> None:
    drop_everything(engine)
    try:
        seen: dict[str, int] = {}
        for serial, revision in enumerate(history, start=1):
            upgrade(revision=revision)
            with engine.begin() as conn:
                now = counts(conn)
                assert {t: n for t, n in now.items() if t in seen} == {
                    t: seen[t] for t in now if t in seen
                }, f"rows lost going up to {revision}"
                fill_empty_tables(conn, serial)
                seen = counts(conn)
                assert all(seen.values()), f"a table stayed empty at {revision}"
        for revision in [*reversed(history[:-1]), "base"]:
            downgrade(revision=revision)
            with engine.connect() as conn:
                now = counts(conn)
            assert all(now[t] == seen[t] for t in now), f"rows lost going down to {revision}"
        with engine.connect() as conn:
            assert counts(conn) == {}
        upgrade()  # and back up to the head from nothing
    finally:
        drop_everything(engine)
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_intake_migration_goes_up_and_down_with_data(backend, tmp_path, request):
    url = (
        f"sqlite:///{tmp_path / 'intake.sqlite'}"
        if backend == "sqlite"
        else request.getfixturevalue("database_url")
    )
    app = create_intake_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        walk_up_and_down(app, intake_db.engine, revisions("intake"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_console_migration_goes_up_and_down_with_data(backend, tmp_path, request):
    url = (
        f"sqlite:///{tmp_path / 'console.sqlite'}"
        if backend == "sqlite"
        else request.getfixturevalue("console_database_url")
    )
    app = create_console_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        walk_up_and_down(app, console_db.engine, revisions("console"))


def test_the_revision_lists_are_read_from_the_histories():
    intake, console = revisions("intake"), revisions("console")
    assert len(intake) == len(list((ROOT / "migrations/intake/versions").glob("*.py")))
    assert len(console) == len(list((ROOT / "migrations/console/versions").glob("*.py")))
