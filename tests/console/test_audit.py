"""The audit log (G8): every account and key action is recorded, and tampering is detected."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from app.console.audit import _digest
from app.extensions import console_db
from app.models.console import AuditEntry
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
    for _ in range(5):
        advisor.enter_password("wrong password!")
    act(manager, advisor.email, "unlock")
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
        "sign_in_failed",
        "locked",
        "unlock",
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
    result = cli(console_app, "verify-audit")
    assert result.exit_code == 0
    assert result.output.strip() == f"Audit log intact: {len(log)} entries, head {log[-1].hash}"


@pytest.mark.parametrize("column", ["detail", "actor", "subject", "action"])
def test_a_changed_entry_is_reported_at_that_entry(
    console_app: Flask, busy_log: dict[str, str], column: str
) -> None:
    sql(console_app, f"update audit_log set {column} = 'rewritten' where seq = 4")
    result = cli(console_app, "verify-audit")
    assert result.exit_code == 1
    assert result.output.strip() == "Audit log broken at entry 4: its contents were changed"


def test_a_deleted_entry_in_the_middle_is_reported(
    console_app: Flask, busy_log: dict[str, str]
) -> None:
    sql(console_app, "delete from audit_log where seq = 5")
    result = cli(console_app, "verify-audit")
    assert result.exit_code == 1
    assert result.output.strip() == "Audit log broken at entry 6: entry 5 is missing"


def test_a_rehashed_forgery_still_breaks_the_next_link(
    console_app: Flask, busy_log: dict[str, str]
) -> None:
    # Someone who recomputes the edited entry's own hash still cannot fix every later link.
    with console_app.app_context():
        entry = console_db.session.get(AuditEntry, 3)
        entry.detail = "forged"
        entry.hash = _digest(entry)
        console_db.session.commit()
    result = cli(console_app, "verify-audit")
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Audit log broken at entry 4: does not follow the entry before it"
    )


def test_an_empty_log_verifies(console_app: Flask) -> None:
    result = cli(console_app, "verify-audit")
    assert result.exit_code == 0 and "intact: 0 entries" in result.output
