"""Accounts: the command-line manager, invitations, setup links, passwords and the team page."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from flask import Flask

from app.console import accounts
from app.extensions import console_db
from app.models.console import Advisor, AuditEntry, utcnow
from tests.console.accounts_support import (
    Person,
    act,
    advisor_row,
    cli,
    create_provider_key,
    invite,
    new_advisor,
    new_manager,
    setup_token,
)
from tests.console.conftest import PASSWORD


def test_create_manager_prints_a_setup_link_and_stores_only_its_hash(console_app: Flask) -> None:
    result = cli(console_app, "create-manager", "Boss@Provider.test", "Bo Manager")
    assert result.exit_code == 0, result.output
    token = setup_token(result.output)
    manager = advisor_row(console_app, "boss@provider.test")
    assert manager.role == "manager"
    assert accounts.status(manager) == "Invited"
    assert manager.invite_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in manager.invite_hash
    lifetime = manager.invite_expires - utcnow()
    assert timedelta(hours=71) < lifetime <= timedelta(hours=72)
    assert manager.password_hash is None and manager.wrapped_key is None


def test_create_manager_refuses_an_email_that_already_has_an_account(console_app: Flask) -> None:
    new_manager(console_app, "boss@provider.test")
    result = cli(console_app, "create-manager", "boss@provider.test", "Again")
    assert result.exit_code != 0
    assert "already an account" in result.output


def test_the_whole_journey_from_invitation_to_the_inbox(console_app: Flask) -> None:
    manager = new_manager(console_app)
    landing = manager.sign_in()
    assert landing.status_code == 303 and landing.location.endswith("/team")
    create_provider_key(manager)
    advisor = new_advisor(manager)
    assert act(manager, advisor.email, "grant").status_code == 303
    signed_in = advisor.sign_in()
    assert signed_in.status_code == 303 and signed_in.location.endswith("/")
    assert advisor.client.get("/").status_code == 200


def test_setup_stores_an_argon2id_hash_and_a_password_wrapped_key(console_app: Flask) -> None:
    new_manager(console_app)
    manager = advisor_row(console_app, "manager@provider.test")
    assert manager.password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(manager.password_hash, PASSWORD)
    assert manager.wrapped_key.startswith(b"SRA") and len(manager.public_key) == 1216
    assert manager.invite_hash is None and manager.invite_expires is None
    assert PASSWORD.encode() not in manager.wrapped_key + manager.totp_secret


def test_a_setup_link_works_only_until_the_account_is_set_up(console_app: Flask) -> None:
    result = cli(console_app, "create-manager", "boss@provider.test", "Bo")
    token = setup_token(result.output)
    Person(console_app, "boss@provider.test").set_up(token)
    again = console_app.test_client().get(f"/setup/{token}")
    assert again.status_code == 404
    assert "does not work" in again.get_data(as_text=True)


def test_an_expired_setup_link_does_not_work(console_app: Flask) -> None:
    token = setup_token(cli(console_app, "create-manager", "boss@provider.test", "Bo").output)
    with console_app.app_context():
        advisor = console_db.session.query(Advisor).one()
        advisor.invite_expires = utcnow() - timedelta(minutes=1)
        console_db.session.commit()
    assert console_app.test_client().get(f"/setup/{token}").status_code == 404


def test_an_unknown_setup_link_does_not_work(console_app: Flask) -> None:
    assert console_app.test_client().get("/setup/not-a-real-token-at-all-x").status_code == 404


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short pass", "12 characters or more"),
        ("x" * 257, "256 characters or fewer"),
        ("boss@provider.test", "must not be your email address"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(
    console_app: Flask, password: str, message: str
) -> None:
    token = setup_token(cli(console_app, "create-manager", "boss@provider.test", "Bo").output)
    person = Person(console_app, "boss@provider.test")
    page = person.post(f"/setup/{token}", {"password": password, "confirm": password})
    assert page.status_code == 200
    assert message in page.get_data(as_text=True)
    assert advisor_row(console_app, "boss@provider.test").password_hash is None


def test_mismatched_password_confirmation_is_refused(console_app: Flask) -> None:
    token = setup_token(cli(console_app, "create-manager", "boss@provider.test", "Bo").output)
    person = Person(console_app, "boss@provider.test")
    page = person.post(f"/setup/{token}", {"password": PASSWORD, "confirm": PASSWORD + "!"})
    assert "do not match" in page.get_data(as_text=True)


def test_the_totp_setup_page_shows_an_accessible_inline_svg_qr_code_and_the_key(
    console_app: Flask,
) -> None:
    token = setup_token(cli(console_app, "create-manager", "boss@provider.test", "Bo").output)
    person = Person(console_app, "boss@provider.test")
    person.post(f"/setup/{token}", {"password": PASSWORD, "confirm": PASSWORD})
    page = person.client.get("/setup/two-factor")
    html = page.get_data(as_text=True)
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and "aria-label=" in svg and "<title>" in svg
    assert "style=" not in svg and "<img" not in html
    assert "https://" not in svg
    assert 'id="setup-key"' in html
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_a_wrong_code_at_totp_setup_leaves_the_account_unfinished(console_app: Flask) -> None:
    token = setup_token(cli(console_app, "create-manager", "boss@provider.test", "Bo").output)
    person = Person(console_app, "boss@provider.test")
    person.post(f"/setup/{token}", {"password": PASSWORD, "confirm": PASSWORD})
    page = person.post("/setup/two-factor", {"code": "000000"})
    assert page.status_code == 200 and "not right" in page.get_data(as_text=True)
    assert accounts.status(advisor_row(console_app, "boss@provider.test")) == "Invited"


def test_the_totp_secret_is_stored_sealed_not_in_clear(console_app: Flask) -> None:
    manager = new_manager(console_app)
    row = advisor_row(console_app, manager.email)
    assert manager.secret.encode() not in row.totp_secret
    assert len(row.totp_secret) > len(manager.secret)


def test_the_team_page_lists_people_with_role_status_and_access(console_app: Flask) -> None:
    manager = new_manager(console_app)
    manager.sign_in()
    create_provider_key(manager)
    new_advisor(manager, "granted@provider.test")
    invite(manager, "pending@provider.test", "Pat Pending")
    act(manager, "granted@provider.test", "grant")
    html = manager.client.get("/team").get_data(as_text=True)
    for expected in ("granted@provider.test", "Pat Pending", "Invited", "Manager", "Advisor"):
        assert expected in html


def test_inviting_an_existing_account_is_refused_with_a_message(console_app: Flask) -> None:
    manager = new_manager(console_app)
    manager.sign_in()
    page = manager.post(
        "/team/invite",
        {"name": "Again", "email": manager.email, "role": "advisor"},
        form_url="/team",
    )
    assert page.status_code == 200
    assert "already an account" in page.get_data(as_text=True)


def test_an_invitation_is_audited_without_the_link(console_app: Flask) -> None:
    manager = new_manager(console_app)
    manager.sign_in()
    token = invite(manager, "new@provider.test")
    with console_app.app_context():
        entries = console_db.session.query(AuditEntry).filter_by(action="invite").all()
    assert [e.subject for e in entries] == [manager.email, "new@provider.test"]
    assert all(token not in e.detail + e.subject for e in entries)


def test_a_new_setup_link_replaces_credentials_and_removes_access(console_app: Flask) -> None:
    manager = new_manager(console_app)
    manager.sign_in()
    create_provider_key(manager)
    advisor = new_advisor(manager)
    act(manager, advisor.email, "grant")
    page = act(manager, advisor.email, "reset")
    token = setup_token(page.get_data(as_text=True))
    row = advisor_row(console_app, advisor.email)
    assert row.password_hash is None and row.wrapped_key is None and row.totp_secret is None
    with console_app.app_context():
        assert not console_db.session.get(Advisor, row.id).grants
    renewed = Person(console_app, advisor.email, PASSWORD + " new")
    assert renewed.set_up(token).status_code == 303
    assert renewed.sign_in().location.endswith("/no-access")


def test_a_manager_cannot_deactivate_or_reset_their_own_account(console_app: Flask) -> None:
    manager = new_manager(console_app)
    manager.sign_in()
    for action in ("deactivate", "reset", "revoke"):
        act(manager, manager.email, action)
    row = advisor_row(console_app, manager.email)
    assert row.active and row.password_hash


def test_an_unknown_team_action_is_not_found(console_app: Flask) -> None:
    manager = new_manager(console_app)
    manager.sign_in()
    assert act(manager, manager.email, "promote").status_code == 404


def test_the_cli_can_reset_a_forgotten_password(console_app: Flask) -> None:
    manager = new_manager(console_app)
    result = cli(console_app, "reset-sign-in", manager.email)
    assert result.exit_code == 0, result.output
    assert Person(console_app, manager.email).set_up(setup_token(result.output)).status_code == 303
