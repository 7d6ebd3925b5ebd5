"""The data inventory (dpia/inventory.yaml) lists every stored item of both apps, and nothing
that no longer exists: each failure names exactly the items to add or remove.

What is stored is found, not written down twice: columns from both databases' SQLAlchemy
metadata, sealed fields from a real referral's and message's envelopes and from the code that
seals, cookies from real responses of all three surfaces, Redis key shapes from the real store
at 127.0.0.1:6379 after exercising every kind of limit, and log fields from the log formats.
"""

from __future__ import annotations

import ast
import re
import runpy
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_console_app, create_intake_app, dpia
from app.accounts import throttle
from app.extensions import console_db, intake_db, limiter
from app.models.base import ConsoleBase, IntakeBase
from app.models.intake import Message, Referral
from app.web.privacy_logging import LOG_FORMAT
from crypto.envelope import open_record
from crypto.keys import PrivateKey
from tests.console.conftest import console_settings
from tests.intake.test_fair_front_door import (
    BUILDING,
    WRONG_PHRASE,
    Person,
    front_door_settings,
    pins,
    redis_or_skip,
)
from tests.referrer import CSRF, Referrer

ROOT = Path(__file__).resolve().parents[2]


def compare(kind: str, found: set[str], controller: str | None = None) -> None:
    listed = dpia.names(kind, controller)
    missing, gone = sorted(found - listed), sorted(listed - found)
    where = f" ({controller} side)" if controller else ""
    assert not missing and not gone, (
        f"dpia/inventory.yaml is out of date for {kind}s{where}:\n"
        f"  stored but not listed: {missing}\n  listed but no longer stored: {gone}"
    )


def test_every_inventory_item_says_where_it_lives_who_reads_it_why_and_for_how_long():
    rows = dpia.items()
    assert len(rows) > 100
    assert {row.kind for row in rows} == set(dpia.KINDS)
    names = [(row.kind, row.controller, row.name) for row in rows]
    assert len(names) == len(set(names)), "an item is listed twice"
    for row in rows:
        assert row.controller in ("police", "provider"), row
        assert row.form in ("clear", "sealed", "hashed", "wrapped", "keyed"), row


# --- database columns ----------------------------------------------------------------------


def columns(base: type) -> set[str]:
    return {f"{table.name}.{column.name}"
            for table in base.metadata.sorted_tables for column in table.columns}


def test_every_intake_database_column_is_in_the_inventory():
    import app.models.intake
    import app.models.standards  # noqa: F401  # both modules define the intake tables

    compare("column", columns(IntakeBase), "police")


def test_every_console_database_column_is_in_the_inventory():
    import app.models.console  # noqa: F401

    compare("column", columns(ConsoleBase), "provider")


# --- sealed fields -------------------------------------------------------------------------


def sealed_kinds_in_code() -> dict[str, set[str] | None]:
    """Each `seal_record(kind, id, {...}, key)` in app/: its kind and, when written as a dict
    literal, its field names (None when the fields are built elsewhere)."""
    found: dict[str, set[str] | None] = {}
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "seal_record"):
                continue
            kind = node.args[0]
            assert isinstance(kind, ast.Constant), f"{path}: a kind that is not a literal"
            fields = node.args[2]
            names = ({k.value for k in fields.keys if isinstance(k, ast.Constant)}
                     if isinstance(fields, ast.Dict) else None)
            if names is None:
                found.setdefault(kind.value, None)
            else:
                found[kind.value] = (found.get(kind.value) or set()) | names
    return found


def test_every_sealed_field_is_in_the_inventory(
    app: Flask, referrer: Referrer, provider_key: PrivateKey
):
    phrase = referrer.refer()
    referrer.sign_in(phrase)
    assert referrer.send_message("A message to read the field names of").status_code == 303
    with app.app_context():
        referral = intake_db.session.scalars(select(Referral)).one()
        message = intake_db.session.scalars(select(Message)).one()
        observed = {
            "referral": set(open_record("referral", referral.id, referral.sealed, provider_key)),
            "message": set(open_record(
                "message", message.id, message.sealed_for_provider, provider_key)),
        }
    in_code = sealed_kinds_in_code()
    assert set(observed) <= set(in_code)
    found = {
        f"{kind}.{name}"
        for kind, names in {**in_code, **observed}.items()
        for name in (names or set())
    }
    assert {kind for kind in in_code if in_code[kind] is None} <= set(observed), (
        "a kind sealed from fields built elsewhere: observe it in this test"
    )
    compare("sealed field", found)


# --- log fields ----------------------------------------------------------------------------


def test_every_log_field_is_in_the_inventory():
    gunicorn = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    formats = [LOG_FORMAT] + [
        formatter["format"] for formatter in gunicorn["logconfig_dict"]["formatters"].values()
    ]
    found = {field for text in formats for field in re.findall(r"%\((\w+)\)", text)}
    compare("log field", found)


# --- cookies -------------------------------------------------------------------------------


def cookie_names(response: object) -> set[str]:
    headers = response.headers.getlist("Set-Cookie")  # type: ignore[attr-defined]
    return {header.split("=", 1)[0] for header in headers}


def test_every_cookie_of_the_police_side_is_in_the_inventory(
    app: Flask, referrer: Referrer
):
    seen = set()
    client = referrer.client
    seen |= cookie_names(client.get("/referral/service"))
    seen |= cookie_names(referrer.answer("service", {"service": "isva"}))
    seen |= cookie_names(client.get("/standards/sign-in"))
    seen |= cookie_names(client.get("/exit"))
    compare("cookie", seen, "police")


def test_every_cookie_of_the_provider_side_is_in_the_inventory(console_app: Flask):
    client = console_app.test_client()
    page = client.get("/sign-in")
    seen = cookie_names(page)
    token = CSRF.search(page.get_data(as_text=True))
    assert token
    seen |= cookie_names(client.post(
        "/sign-in", data={"csrf_token": token[1], "email": "a@b.test", "password": "x"}))
    compare("cookie", seen, "provider")


# --- Redis key shapes ----------------------------------------------------------------------


SHAPES = (
    (re.compile(r"b[0-9a-f]{4}"), "b{bucket}"),
    (re.compile(r"s[0-9a-f]{24}"), "s{session}"),
    (re.compile(r"[0-9a-f]{32}"), "{tag}"),
)


def shape(key: str, prefix: str) -> str:
    """A key with its variable parts named: the deployment's prefix, a bucket, a session
    hash, a keyed tag; a limit's endpoint and its amount per period become {limit}."""
    key = key.replace(prefix, "{prefix}")
    limiter_key = re.fullmatch(r"(LIMITS:LIMITER/\{prefix\}/)([^/]+)/[^/]+/\d+/\d+/\w+", key)
    if limiter_key:
        key = f"{limiter_key[1]}{limiter_key[2]}/{{endpoint}}/{{limit}}"
    parts = re.split(r"([/:])", key)
    for pattern, name in SHAPES:
        parts = [name if pattern.fullmatch(part) else part for part in parts]
    return "".join(parts)


@pytest.fixture
def redis_apps(app: Flask, database_url: str, console_database_url: str,
               provider_key: PrivateKey) -> Iterator[tuple[Flask, Flask, object, str]]:
    connection = redis_or_skip()
    prefix = f"test-{uuid.uuid4().hex}"
    store = {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "RATELIMIT_KEY_PREFIX": prefix,
             "SIGN_IN_FREE_FAILURES": 0}
    limiter._key_prefix = ""  # Flask-Limiter keeps the first app's prefix unless told
    door = create_intake_app(front_door_settings(database_url, **store, **pins(app)))
    limiter._key_prefix = ""
    console = create_console_app(
        {**console_settings(console_database_url), "RATELIMIT_ENABLED": True, **store})
    with console.app_context():
        console_db.create_all()
    before = set(connection.scan_iter())
    yield door, console, connection, prefix
    for key in set(connection.scan_iter()) - before:
        connection.delete(key)
    limiter._key_prefix = ""
    for other, db in ((door, intake_db), (console, console_db)):
        with other.app_context():
            db.session.remove()
            if other is console:
                db.drop_all()
            db.engine.dispose()
    limiter.init_app(app)


def fail_sign_in(client: object, url: str) -> None:
    page = client.get(url).get_data(as_text=True)  # type: ignore[attr-defined]
    token = CSRF.search(page)
    assert token, page[:300]
    client.post(url, data={  # type: ignore[attr-defined]
        "csrf_token": token[1], "email": "someone@example.test", "password": "wrong"})


def test_every_redis_key_shape_is_in_the_inventory(redis_apps):
    door, console, redis, prefix = redis_apps
    before = set(redis.scan_iter())
    person = Person(door, BUILDING)
    person.sign_in(WRONG_PHRASE)  # per session and per bucket; a spent challenge
    person.fill_in({"service": {"service": "isva"},
                    "contact": {"name": "Sam", "contact_method": "phrase_only"},
                    "confidentiality": {"consent": "y"}})
    assert person.send().status_code == 303  # the submit's budget for everyone
    for surface, url in ((door, "/standards/sign-in"), (console, "/sign-in")):
        fail_sign_in(surface.test_client(), url)  # throttle: client, address and wait
        with surface.test_request_context():
            assert throttle.claim_code_step(f"owner-{uuid.uuid4().hex}", 1, 60)  # a used code
    keys = {key.decode() for key in set(redis.scan_iter()) - before}
    assert keys
    compare("redis key", {shape(key, prefix) for key in keys})


def test_a_redis_key_shape_names_its_variable_parts():
    assert shape("LIMITS:LIMITER/p/b5ef1/intake.question/3000/1/hour", "p") == (
        "LIMITS:LIMITER/{prefix}/b{bucket}/{endpoint}/{limit}")
    assert shape("LIMITS:sign-in:client:5d6e10f7f38d4dee5bbfb351f8ac3919", "p") == (
        "LIMITS:sign-in:client:{tag}")
