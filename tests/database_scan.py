"""Helpers for the privacy tests: look for known text in tables, database files, dumps and logs.

A marker counts as found in any form a careless change could store it in: as typed and
case-insensitively, in UTF-8 and UTF-16 (both byte orders), as hex (how PostgreSQL dumps
bytea) and as base64 at every byte alignment. Ciphertext never contains any of these by
chance, so a hit means plaintext reached the store.
"""

from __future__ import annotations

import base64
import logging
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sqlalchemy as sa

from app.web.privacy_logging import LOG_FORMAT

Marker = str | bytes


@dataclass(frozen=True)
class Needle:
    marker: Marker
    form: str
    pattern: bytes
    fold_case: bool


@cache
def needles(marker: Marker) -> tuple[Needle, ...]:
    """Every byte pattern under which `marker` would count as stored in clear."""
    found: list[Needle] = []
    if isinstance(marker, str):
        encodings = [(codec, marker.encode(codec)) for codec in ("utf-8", "utf-16-le", "utf-16-be")]
        for codec, _ in encodings:
            found.append(Needle(marker, codec, marker.lower().encode(codec), True))
    else:
        encodings = [("bytes", marker)]
        found.append(Needle(marker, "raw bytes", marker, False))
    for name, raw in encodings:
        found.append(Needle(marker, f"hex of {name}", raw.hex().encode(), True))
        for shift in range(3):
            # The base64 characters that depend only on the marker's own bytes at this offset.
            encoded = base64.b64encode(b"\0" * shift + raw)
            middle = encoded[-(-4 * shift // 3) : 8 * (shift + len(raw)) // 6]
            found.append(Needle(marker, f"base64 of {name} (offset {shift})", middle, False))
            urlsafe = middle.replace(b"+", b"-").replace(b"/", b"_")
            if urlsafe != middle:
                form = f"url-safe base64 of {name} (offset {shift})"
                found.append(Needle(marker, form, urlsafe, False))
    return tuple(found)


def as_bytes(value: object) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode()
    return str(value).encode()


def found_in(haystack: object, markers: Iterable[Marker]) -> list[str]:
    """Which markers occur in `haystack`, and in which form."""
    data = as_bytes(haystack)
    folded = data.lower()
    return [
        f"{needle.marker!r} as {needle.form}"
        for marker in markers
        for needle in needles(marker)
        if needle.pattern in (folded if needle.fold_case else data)
    ]


def every_value(engine: sa.Engine) -> Iterator[tuple[str, object]]:
    """("table.column", value) for every column of every row of every table in the database."""
    inspector = sa.inspect(engine)
    names = inspector.get_table_names()
    assert names, "the database has no tables to scan"
    metadata = sa.MetaData()
    metadata.reflect(bind=engine, only=names)
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(sa.select(table)).mappings():
                for column, value in row.items():
                    yield f"{table.name}.{column}", value


def markers_in_tables(engine: sa.Engine, markers: Iterable[Marker]) -> dict[str, list[str]]:
    markers = list(markers)
    hits: dict[str, list[str]] = {}
    for where, value in every_value(engine):
        for hit in found_in(value, markers):
            hits.setdefault(where, []).append(hit)
    return hits


def stored_bytes(database_url: str) -> dict[str, bytes]:
    """What a backup of the database would hold: the SQLite files, or a PostgreSQL dump."""
    url = sa.engine.make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        assert url.database, "an in-memory SQLite database has no file to scan"
        main = Path(url.database)
        files = [main, *(main.with_name(main.name + end) for end in ("-wal", "-journal", "-shm"))]
        found = {path.name: path.read_bytes() for path in files if path.exists()}
        assert main.name in found, f"no database file at {main}"
        return found
    if backend == "postgresql":
        return {"pg_dump": pg_dump(url)}
    raise AssertionError(f"no at-rest scan written for {backend}")


def markers_at_rest(database_url: str, markers: Iterable[Marker]) -> dict[str, list[str]]:
    markers = list(markers)
    hits = {name: found_in(data, markers) for name, data in stored_bytes(database_url).items()}
    return {name: found for name, found in hits.items() if found}


def _pg_dump_binaries() -> list[str]:
    versioned = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_dump"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
        reverse=True,
    )
    candidates = [shutil.which("pg_dump"), *map(str, versioned)]
    return [binary for binary in dict.fromkeys(candidates) if binary]


def pg_dump(url: sa.URL) -> bytes:
    """A plain-text dump of the whole database, as an insider with a backup would have it."""
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    problems = []
    for binary in _pg_dump_binaries():
        result = subprocess.run(
            [binary, "--no-owner", "--no-privileges", "--dbname", libpq],
            capture_output=True,
            timeout=120,
            check=False,
        )
        if result.returncode == 0:
            assert b"PostgreSQL database dump" in result.stdout, result.stdout[:500]
            return result.stdout
        problems.append(f"{binary}: {result.stderr.decode(errors='replace').strip()}")
    raise AssertionError("no working pg_dump to scan the database with: " + "; ".join(problems))


def raw_dates(engine: sa.Engine) -> dict[str, list[str]]:
    """The stored text of every DATE column, read without SQLAlchemy's date conversion."""
    metadata = sa.MetaData()
    metadata.reflect(bind=engine)
    found: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, sa.Date | sa.DateTime):
                    values = conn.scalars(
                        sa.select(sa.cast(column, sa.Text)).where(column.is_not(None))
                    )
                    found[f"{table.name}.{column.name}"] = list(values)
    return found


def root_handlers_to_current_stderr() -> list[tuple[logging.StreamHandler, object]]:
    """Point the app's own stream handlers at today's sys.stderr, so capfd sees their output.

    They were built when the app was created, before capfd replaced sys.stderr. Returns what
    to restore with `restore_streams`.
    """
    changed = []
    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler:
            changed.append((handler, handler.setStream(sys.stderr)))
    return changed


def restore_streams(changed: list[tuple[logging.StreamHandler, object]]) -> None:
    for handler, stream in changed:
        if stream is not None:
            handler.setStream(stream)


@contextmanager
def verbose_logging(caplog, sql_level: int) -> Iterator[None]:
    """Everything at DEBUG (SQL at `sql_level`), sent to caplog and to capfd's stderr."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(sql_level, logger="sqlalchemy.engine")
    changed = root_handlers_to_current_stderr()
    try:
        yield
    finally:
        restore_streams(changed)


def all_log_text(caplog) -> str:
    """Every captured record as the app's own format writes it, plus its raw message and args."""
    formatter = logging.Formatter(LOG_FORMAT)
    parts = []
    for record in caplog.records:
        parts.append(formatter.format(record))
        parts.append(str(record.msg))
        parts.append(repr(record.args))
        if record.exc_info and record.exc_info[1] is not None:
            parts.append(repr(record.exc_info[1]))
    return "\n".join(parts)
