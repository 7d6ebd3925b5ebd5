"""/audit-heads: intake keeps every head of the console's audit chain it is sent, append-only.

A head is an entry number and its MAC, sent after each sync (DESIGN G8). Intake cannot check a
MAC; what it guarantees is that a head, once held, is never replaced: a different MAC for the
same entry, or an earlier entry than the latest held, is refused (409), through the API and
under real concurrency, and no code path updates or deletes a head.
"""

from __future__ import annotations

import ast
import re
import threading
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.api import tokens
from app.console.intake_client import IntakeClient, IntakeRefused
from app.extensions import intake_db
from app.models.intake import AuditHead, Recipient
from tests.api.conftest import Console
from tests.two_apps import serving

ROOT = Path(__file__).resolve().parents[2]
MAC_A, MAC_B = "a" * 64, "b" * 64
RAW_SQL_WRITE = re.compile(r"\b(update\s+audit_heads|delete\s+from\s+audit_heads)\b", re.I)


def _console_for(app: Flask, name: str) -> tuple[Console, str]:
    """A recipient row and a token; heads need no keys, so none are registered."""
    with app.app_context():
        intake_db.session.add(Recipient(name=name))
        intake_db.session.commit()
        token = tokens.issue(name)
    return Console(app.test_client(), token), token


@pytest.fixture
def console(app: Flask) -> Console:
    return _console_for(app, "Audit test provider")[0]


def held(app: Flask) -> list[tuple[int, str]]:
    with app.app_context():
        return [(h.seq, h.mac) for h in intake_db.session.scalars(
            select(AuditHead).order_by(AuditHead.recipient_id, AuditHead.seq))]


def test_a_head_is_kept_and_read_back(app: Flask, console: Console) -> None:
    sent = console.post("/audit-heads", json={"seq": 7, "mac": MAC_A})

    assert (sent.status_code, sent.get_json()) == (201, {"seq": 7, "mac": MAC_A})
    assert console.get("/audit-heads").get_json() == {
        "items": [{"seq": 7, "mac": MAC_A}], "next": None
    }


def test_the_same_head_again_is_answered_as_held_and_kept_once(
    app: Flask, console: Console
) -> None:
    console.post("/audit-heads", json={"seq": 7, "mac": MAC_A})

    again = console.post("/audit-heads", json={"seq": 7, "mac": MAC_A})

    assert again.status_code == 200
    assert held(app) == [(7, MAC_A)]


def test_a_second_different_head_for_the_same_entry_is_refused(
    app: Flask, console: Console
) -> None:
    console.post("/audit-heads", json={"seq": 7, "mac": MAC_A})

    forged = console.post("/audit-heads", json={"seq": 7, "mac": MAC_B})

    assert forged.status_code == 409
    assert forged.get_json()["error"] == "conflict"
    assert held(app) == [(7, MAC_A)]


def test_a_head_older_than_the_latest_held_is_refused(app: Flask, console: Console) -> None:
    console.post("/audit-heads", json={"seq": 7, "mac": MAC_A})

    older = console.post("/audit-heads", json={"seq": 5, "mac": MAC_B})
    newer = console.post("/audit-heads", json={"seq": 9, "mac": MAC_B})

    assert (older.status_code, newer.status_code) == (409, 201)
    assert held(app) == [(7, MAC_A), (9, MAC_B)]


def test_each_recipient_sees_and_is_judged_against_its_own_heads_only(
    app: Flask, console: Console
) -> None:
    other, _ = _console_for(app, "Another audit test provider")
    console.post("/audit-heads", json={"seq": 7, "mac": MAC_A})

    assert other.post("/audit-heads", json={"seq": 3, "mac": MAC_B}).status_code == 201
    assert other.get("/audit-heads").get_json()["items"] == [{"seq": 3, "mac": MAC_B}]
    assert console.get("/audit-heads").get_json()["items"] == [{"seq": 7, "mac": MAC_A}]


def test_heads_come_in_entry_order_a_page_at_a_time(console: Console) -> None:
    for seq in (2, 4, 6, 8, 10):
        console.post("/audit-heads", json={"seq": seq, "mac": f"{seq:064x}"})

    first = console.get("/audit-heads?limit=2").get_json()
    rest = console.pull_all("audit-heads", limit=2)

    assert [h["seq"] for h in first["items"]] == [2, 4] and first["next"] == "4"
    assert [h["seq"] for h in rest] == [2, 4, 6, 8, 10]


@pytest.mark.parametrize(
    "body",
    [
        {"seq": 0, "mac": MAC_A},
        {"seq": -1, "mac": MAC_A},
        {"seq": True, "mac": MAC_A},
        {"seq": "7", "mac": MAC_A},
        {"seq": 2**31, "mac": MAC_A},
        {"seq": 7, "mac": "A" * 64},
        {"seq": 7, "mac": "a" * 63},
        {"seq": 7, "mac": 7},
        {"seq": 7},
        {"seq": 7, "mac": MAC_A, "at": "2026-01-01"},
    ],
)
def test_a_malformed_head_is_refused_and_nothing_is_kept(
    app: Flask, console: Console, body: dict[str, object]
) -> None:
    assert console.post("/audit-heads", json=body).status_code == 422
    assert held(app) == []


def test_a_bad_cursor_is_refused(console: Console) -> None:
    assert console.get("/audit-heads?after=abc").status_code == 422


def test_heads_need_a_token(console: Console) -> None:
    assert console.post("/audit-heads", json={"seq": 1, "mac": MAC_A},
                        authorization="").status_code == 401


def test_two_different_heads_for_one_entry_sent_at_once_keep_exactly_one(app: Flask) -> None:
    _, token = _console_for(app, "Audit test provider")
    with serving(app) as url:
        client = IntakeClient(f"{url}/api/v1", token)
        start = threading.Barrier(8)
        outcomes: list[str] = []

        def send(mac: str) -> None:
            start.wait()
            try:
                client.post("/audit-heads", {"seq": 42, "mac": mac})
                outcomes.append(mac)
            except IntakeRefused as refused:
                outcomes.append(str(refused.status))

        threads = [threading.Thread(target=send, args=(f"{n:064x}",)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    ((seq, kept),) = held(app)
    assert seq == 42
    assert sorted(outcomes) == sorted([kept] + ["409"] * 7)


def head_writes(source: str) -> list[str]:
    """Every statement in `source` that would change or remove a head once stored."""
    writes = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            text = ast.unparse(node)
            if name in {"update", "delete"} and "AuditHead" in text:
                writes.append(text)
            if name == "delete" and "session" in text and "head" in text.lower():
                writes.append(text)
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and (
            node.attr == "mac"
            or (node.attr in {"seq", "recipient_id"} and "head" in ast.unparse(node.value))
        ):
            writes.append(f"{ast.unparse(node)} = ...")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
            RAW_SQL_WRITE.search(node.value)
        ):
            writes.append(node.value[:60])
    return writes


@pytest.mark.parametrize(
    "source",
    [
        "db.session.execute(update(AuditHead).values(mac=m))",
        "db.session.execute(sa.delete(AuditHead))",
        "db.session.delete(head)",
        "held.mac = mac",
        "head.seq = 1",
        "db.session.execute(text('UPDATE audit_heads SET mac = :m'))",
        "db.session.execute(text('delete  from audit_heads'))",
    ],
)
def test_the_scan_finds_a_write_to_a_head(source: str) -> None:
    assert head_writes(source) != []


def test_no_code_updates_or_deletes_a_head() -> None:
    """Append-only by construction: outside the model, the code base only inserts and reads
    heads (the scan above shows what it would catch)."""
    found = {
        str(path.relative_to(ROOT)): head_writes(path.read_text(encoding="utf-8"))
        for path in (ROOT / "app").rglob("*.py")
    }
    assert {where: writes for where, writes in found.items() if writes} == {}


def test_intake_holds_one_row_per_head(app: Flask, console: Console) -> None:
    for seq in range(1, 6):
        console.post("/audit-heads", json={"seq": seq, "mac": MAC_A})
        console.post("/audit-heads", json={"seq": seq, "mac": MAC_A})
    with app.app_context():
        assert intake_db.session.scalar(select(func.count()).select_from(AuditHead)) == 5
