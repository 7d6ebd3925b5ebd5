"""The audit log (G8): every account and key action is recorded, and tampering is detected.

The insider here can write the console's database (SQL) but holds neither the chain key nor
intake's copies of the head: rewriting, deleting or cutting short the log, or rebuilding it
without the key, is named by `flask console verify-audit` at the first entry that parts from
the chain or from intake's copies (fetched over real HTTP from a served intake).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask

from app.config import ConfigurationError, console_config, refuse_unsafe_production
from app.console import audit
from app.console.audit import _digest, chain_key
from app.extensions import console_db, intake_db
from app.models.console import AuditEntry
from app.models.intake import AuditHead
from tests.console.accounts_support import (
    Person,
    act,
    cli,
    create_provider_key,
    invite,
    new_advisor,
    new_manager,
)
from tests.console.conftest import PASSWORD
from tests.database_scan import markers_in_tables
from tests.two_apps import Linked, linked_fixture  # noqa: F401


@pytest.fixture
def busy_log(console_app: Flask) -> dict[str, str]:
    """A log with every kind of account and key event in it; returns the secrets shown."""
    manager = new_manager(console_app)
    manager.sign_in()
    recovery = create_provider_key(manager)
    advisor = new_advisor(manager)
    act(manager, advisor.email, "grant")
    token = invite(manager, "later@provider.test")
    manager.post("/team/keys/rotate", {})
    stranger = Person(console_app, "nobody-typed-this@provider.test")
    stranger.enter_password("a guess at a password")
    console_app.config["SIGN_IN_ACCOUNT_BUDGET"] = 4  # failures tallied; one summary entry
    for _ in range(4):
        advisor.enter_password("wrong password!")
    act(manager, advisor.email, "revoke")
    assert cli(console_app, "recover-access", advisor.email, "--recovery-key", "x").exit_code
    manager.client.get("/sign-out")
    return {"token": token, "recovery": recovery, "secret": manager.secret}


def entries(app: Flask) -> list[AuditEntry]:
    with app.app_context():
        found = console_db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)).all()
        console_db.session.expunge_all()
        return list(found)


def sql(app: Flask, statement: str) -> None:
    with app.app_context():
        console_db.session.execute(sa.text(statement))
        console_db.session.commit()


def test_every_account_and_key_action_is_recorded(
    console_app: Flask, busy_log: dict[str, str]
) -> None:
    actions = {entry.action for entry in entries(console_app)}
    assert {
        "invite",
        "setup_complete",
        "sign_in",
        "sign_out",
        "sign_in_throttled",
        "key_created",
        "key_rotated",
        "grant",
        "revoke",
    } <= actions


def test_the_recovery_command_is_recorded(console_app: Flask) -> None:
    manager = new_manager(console_app)
    manager.sign_in()
    recovery = create_provider_key(manager)
    cli(console_app, "recover-access", manager.email, "--recovery-key", recovery)
    last = entries(console_app)[-1]
    assert (last.actor, last.action, last.subject) == ("command line", "recovery", manager.email)


def test_the_log_holds_no_secret_and_nothing_a_stranger_typed(
    console_app: Flask, busy_log: dict[str, str]
) -> None:
    text = " ".join(f"{e.actor} {e.subject} {e.detail}" for e in entries(console_app))
    for secret in (*busy_log.values(), PASSWORD, "a guess at a password", "nobody-typed-this"):
        assert secret not in text


def test_verify_audit_reports_an_intact_chain_and_its_head(
    console_app: Flask, busy_log: dict[str, str]
) -> None:
    log = entries(console_app)
    result = cli(console_app, "verify-audit", "--local-only")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        f"Audit log intact: {len(log)} entries, head {log[-1].hash}",
        "Intake's copies of the head were not checked.",
    ]


@pytest.mark.parametrize("column", ["detail", "actor", "subject", "action"])
def test_a_changed_entry_is_reported_at_that_entry(
    console_app: Flask, busy_log: dict[str, str], column: str
) -> None:
    sql(console_app, f"update audit_log set {column} = 'rewritten' where seq = 4")
    result = cli(console_app, "verify-audit", "--local-only")
    assert result.exit_code == 1
    assert result.output.strip() == "Audit log broken at entry 4: its contents were changed"


def test_a_deleted_entry_in_the_middle_is_reported(
    console_app: Flask, busy_log: dict[str, str]
) -> None:
    sql(console_app, "delete from audit_log where seq = 5")
    result = cli(console_app, "verify-audit", "--local-only")
    assert result.exit_code == 1
    assert result.output.strip() == "Audit log broken at entry 6: entry 5 is missing"


def test_a_rehashed_forgery_still_breaks_the_next_link(
    console_app: Flask, busy_log: dict[str, str]
) -> None:
    # Someone who recomputes the edited entry's own hash still cannot fix every later link.
    with console_app.app_context():
        entry = console_db.session.get(AuditEntry, 3)
        entry.detail = "forged"
        entry.hash = _digest(entry, chain_key())
        console_db.session.commit()
    result = cli(console_app, "verify-audit", "--local-only")
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Audit log broken at entry 4: does not follow the entry before it"
    )


def test_an_empty_log_verifies(console_app: Flask) -> None:
    result = cli(console_app, "verify-audit", "--local-only")
    assert result.exit_code == 0 and "intact: 0 entries" in result.output


# --- keyed, and anchored at intake ----------------------------------------------------------


def write_entries(app: Flask, count: int) -> None:
    with app.app_context():
        for n in range(count):
            audit.record(console_db.session, "advisor@provider.test", "open_case", f"case:{n}")


def anchored(linked: Linked, count: int) -> int:
    """`count` entries, then a sync, which anchors the head (entry `count`) at intake."""
    write_entries(linked.console, count)
    assert linked.sync().errors == []
    return count


def heads_at_intake(linked: Linked) -> list[tuple[int, str]]:
    with linked.intake.app_context():
        return [(h.seq, h.mac) for h in intake_db.session.scalars(
            sa.select(AuditHead).order_by(AuditHead.seq))]


def plain_sha256_chain_from(app: Flask, first: int, detail: str) -> None:
    """The insider's rewrite: change entry `first`, then recompute every link from there with
    plain SHA-256 (as the chain was before it was keyed), written back with SQL."""
    with app.app_context():
        rows = console_db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.seq >= first).order_by(AuditEntry.seq)
        ).all()
        previous = console_db.session.get(AuditEntry, first - 1)
        prev_hash = previous.hash if previous else "0" * 64
        updates = []
        for row in rows:
            text = detail if row.seq == first else row.detail
            canonical = json.dumps(
                [row.seq, row.at.isoformat(), row.actor, row.action, row.subject, text, prev_hash],
                ensure_ascii=False, separators=(",", ":"),
            )
            digest = hashlib.sha256(canonical.encode()).hexdigest()
            updates.append({"seq": row.seq, "detail": text, "prev": prev_hash, "hash": digest})
            prev_hash = digest
        console_db.session.rollback()
        for values in updates:
            console_db.session.execute(sa.text(
                "update audit_log set detail = :detail, prev_hash = :prev, hash = :hash "
                "where seq = :seq"), values)
        console_db.session.commit()


def keyed_chain_from(app: Flask, first: int, detail: str) -> None:
    """The same rewrite by someone who also holds the chain key (the console's configuration):
    the chain itself then verifies, and only intake's copies of the head can tell."""
    with app.app_context():
        key = chain_key()
        rows = console_db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.seq >= first).order_by(AuditEntry.seq)
        ).all()
        previous = console_db.session.get(AuditEntry, first - 1)
        prev_hash = previous.hash if previous else "0" * 64
        updates = []
        for row in rows:
            console_db.session.expunge(row)
            row.detail = detail if row.seq == first else row.detail
            row.prev_hash = prev_hash
            row.hash = _digest(row, key)
            updates.append({"seq": row.seq, "detail": row.detail, "prev": prev_hash,
                            "hash": row.hash})
            prev_hash = row.hash
        console_db.session.rollback()
        # Reversed: each new prev_hash must not collide with an old one still in place.
        for values in reversed(updates):
            console_db.session.execute(sa.text(
                "update audit_log set detail = :detail, prev_hash = :prev, hash = :hash "
                "where seq = :seq"), values)
        console_db.session.commit()


def test_each_sync_anchors_the_head_of_the_chain_at_intake(linked: Linked) -> None:
    anchored(linked, 3)
    write_entries(linked.console, 2)
    linked.sync()

    log = {entry.seq: entry.hash for entry in entries(linked.console)}
    # Each sync sent the head it found (the sync's own entry goes in after it).
    assert heads_at_intake(linked) == [(3, log[3]), (6, log[6])]
    result = cli(linked.console, "verify-audit")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        "It matches all 2 copies of its head that intake holds."
    )


def test_a_chain_recomputed_with_plain_sha256_is_named_at_the_entry_rewritten(
    linked: Linked,
) -> None:
    anchored(linked, 6)
    plain_sha256_chain_from(linked.console, 3, "nothing happened here")

    for args in (("verify-audit",), ("verify-audit", "--local-only")):
        result = cli(linked.console, *args)
        assert result.exit_code == 1
        assert result.output.strip() == "Audit log broken at entry 3: its contents were changed"


def test_a_chain_rewritten_even_with_the_key_parts_from_intakes_copy_of_the_head(
    linked: Linked,
) -> None:
    anchored(linked, 6)
    keyed_chain_from(linked.console, 3, "nothing happened here")
    assert cli(linked.console, "verify-audit", "--local-only").exit_code == 0

    result = cli(linked.console, "verify-audit")

    assert result.exit_code == 1
    assert result.output.strip() == (
        "Audit log broken at entry 6: differs from intake's copy of the head"
    )


@pytest.mark.parametrize("kept", [3, 0])
def test_a_log_cut_short_is_named_where_intakes_copy_of_the_head_goes_on(
    linked: Linked, kept: int
) -> None:
    anchored(linked, 6)
    sql(linked.console, f"delete from audit_log where seq > {kept}")
    assert cli(linked.console, "verify-audit", "--local-only").exit_code == 0  # alone: unseen

    result = cli(linked.console, "verify-audit")

    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Audit log broken at entry {kept + 1}: entries {kept + 1} to 6 are missing "
        "(intake holds the head at 6)"
    )


def test_a_rewritten_row_is_named_even_when_intake_holds_a_later_head(linked: Linked) -> None:
    anchored(linked, 6)
    sql(linked.console, "update audit_log set actor = 'someone else' where seq = 2")

    result = cli(linked.console, "verify-audit")

    assert result.output.strip() == "Audit log broken at entry 2: its contents were changed"


def test_intake_refuses_the_head_of_a_log_that_went_back_and_the_sync_says_so(
    linked: Linked,
) -> None:
    anchored(linked, 6)
    sql(linked.console, "delete from audit_log where seq > 3")

    summary = linked.sync()

    assert any("intake refused the audit head (409 conflict)" in e for e in summary.errors)
    assert [seq for seq, _ in heads_at_intake(linked)] == [6]


def test_a_copy_changed_at_intake_is_reported_too(linked: Linked) -> None:
    anchored(linked, 4)
    with linked.intake.app_context():
        intake_db.session.execute(sa.text("update audit_heads set mac = :m"), {"m": "0" * 64})
        intake_db.session.commit()

    result = cli(linked.console, "verify-audit")

    assert result.exit_code == 1
    assert "entry 4: differs from intake's copy of the head" in result.output


def test_verify_audit_says_when_intake_cannot_be_asked(console_app: Flask) -> None:
    write_entries(console_app, 2)  # console_app's intake address answers nothing

    result = cli(console_app, "verify-audit")

    assert result.exit_code == 2
    assert result.output.startswith("Could not fetch intake's copies of the audit head")


def test_the_chain_key_is_nowhere_in_the_console_database(console_app: Flask) -> None:
    write_entries(console_app, 3)
    with console_app.app_context():
        key = chain_key()
        assert markers_in_tables(console_db.engine, [key, key.hex()]) == {}


def test_production_refuses_to_start_without_its_own_audit_chain_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SAFE_REFERRAL_ENV", "production")
    monkeypatch.delenv("AUDIT_CHAIN_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="AUDIT_CHAIN_KEY"):
        refuse_unsafe_production(console_config())
    secret = "s" * 40
    monkeypatch.setenv("SECRET_KEY", secret)
    monkeypatch.setenv("AUDIT_CHAIN_KEY", secret)  # the same key twice is one secret
    with pytest.raises(ConfigurationError, match="AUDIT_CHAIN_KEY"):
        refuse_unsafe_production(console_config())
    monkeypatch.setenv("AUDIT_CHAIN_KEY", "k" * 40)
    with pytest.raises(ConfigurationError) as refused:  # for other reasons, not this one
        refuse_unsafe_production(console_config())
    assert "AUDIT_CHAIN_KEY" not in str(refused.value)


# --- events anyone can cause ----------------------------------------------------------------


def test_a_flood_of_anonymous_failures_is_one_entry_per_day(console_app: Flask) -> None:
    monday, tuesday = date(2026, 3, 2), date(2026, 3, 3)
    with console_app.app_context():
        for _ in range(300):
            audit.tally(console_db.session, "sign_in_failed_unknown", on=monday)
    assert entries(console_app) == []  # counted, not logged one by one

    with console_app.app_context():
        audit.tally(console_db.session, "sign_in_failed_unknown", on=tuesday)

    (entry,) = entries(console_app)
    assert (entry.action, entry.detail) == ("sign_in_failed_unknown", "300 on 2026-03-02")
    assert cli(console_app, "verify-audit", "--local-only").exit_code == 0
