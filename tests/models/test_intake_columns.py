"""G4 minimal clear metadata: each intake column has a written reason the police side may hold it.

A new column fails here until someone adds it to ALLOWED with a reason; a removed column
fails until its entry goes. No column may hold a time of day, and none may be named for a
client address, user agent, referer header or timestamp. The Alembic migration must build
exactly these columns, and go down and up again, on SQLite and on PostgreSQL.
"""

import re
from functools import cache

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_intake_app
from app.extensions import intake_db
from app.models.base import IntakeBase
from tests.conftest import POSTGRES

RANDOM_ID = "a random id (secrets.token_urlsafe), never sequential, so it reveals no order or count"
SEALED = "ciphertext only: HPKE-sealed to a key the police side does not hold"
DAY = "a workflow date at day precision (G4), never a time of day"

ALLOWED = {
    "recipients.id": RANDOM_ID,
    "recipients.name": "the provider organisation's name, which the police side commissions",
    "recipients.created_on": "the day the provider was registered at intake",
    "recipients.key_set": "the provider's signed public keys; verified against the pin (G2)",
    "recipient_keys.key_id": "hash of the provider's public key: which key sealed a referral",
    "recipient_keys.recipient_id": "which provider the public key belongs to",
    "recipient_keys.generation": "key rotation order: new referrals use the newest public key",
    "recipient_keys.public_key": "the provider's public key (G2: intake holds public keys only)",
    "recipient_keys.fingerprint": "the key's fingerprint, read aloud to check it arrived whole",
    "recipient_keys.added_on": "the day the public key was added, for rotation records",
    "service_routes.service": "IDVA / ISVA / not sure: which service a route is for (G4)",
    "service_routes.recipient_id": "which provider receives that service's referrals (G4)",
    "referrals.id": RANDOM_ID,
    "referrals.service": "IDVA / ISVA / not sure (G4 clear metadata)",
    "referrals.recipient_id": "the recipient provider (G4 clear metadata)",
    "referrals.status": "workflow status, for delivery and the status page (G4)",
    "referrals.received_on": DAY,
    "referrals.delivered_on": DAY,
    "referrals.acknowledged_on": DAY,
    "referrals.first_contact_on": DAY,
    "referrals.contact_made_on": DAY,
    "referrals.closed_on": DAY,
    "referrals.closure_reason": "a content-free closure reason from a fixed list, for outcome KPIs",
    "referrals.sealed": SEALED + "; deleted once the provider confirms delivery",
    "referrals.lookup_id": "Argon2id + HKDF of the reference phrase; cannot be turned back into it",
    "referrals.referrer_public_key": "the referrer's own public key: a reply must be sealed to it",
    "referrals.withdrawal_proof": "HMAC by the phrase holder over the withdrawal day; no content",
    "messages.id": RANDOM_ID,
    "messages.referral_id": "which referral a message belongs to",
    "messages.position": "the order of messages within one referral",
    "messages.author": "referrer or advisor, from a fixed list: who must be able to open it",
    "messages.sent_on": DAY,
    "messages.delivered_on": DAY,
    "messages.sealed_for_provider": SEALED + "; deleted once delivered",
    "messages.sealed_for_referrer": "ciphertext only: sealed to the referrer's own public key",
    "releases.audit": "the release audit's figures (cells, narrowest intervals): no person's data",
    "messages.sequence": "the message's place among its author's messages, bound into its proofs",
    "messages.proof": "HMAC by the author over the sealed message: proves origin, holds no content",
    "messages.copy_proof": "HMAC by the referrer over their own sealed copy; holds no content",
    "draft_sessions.id": "SHA-256 of a random session id; the id itself lives only in the cookie",
    "draft_sessions.sealed": "session state under a key that lives only in the browser's cookie",
    "draft_sessions.expires_on": "the day the draft may be purged; its idle deadline is sealed",
    "api_tokens.id": "public half of a delivery-API bearer token: a random id that finds the row",
    "api_tokens.recipient_id": "which provider the delivery-API token authenticates",
    "api_tokens.secret_hash": "SHA-256 of the token's secret; the secret itself is never stored",
    "api_tokens.created_on": "the day the token was issued (a date, never a time of day)",
    "api_tokens.revoked_on": "the day the token was revoked (a date, never a time of day)",
    "referrals.urgent": (
        "provider's triage flag, reported with acknowledgement; sets the first-contact KPI target"
    ),
    "analysts.id": RANDOM_ID,
    "analysts.email": "a DPS analyst's work email: their sign-in name (staff, not a referrer)",
    "analysts.name": "a DPS analyst's name, shown in the release log beside their downloads",
    "analysts.password_hash": "Argon2id hash of the analyst's password; the password is never kept",
    "analysts.totp_secret": "the analyst's TOTP secret, sealed under a key derived from SECRET_KEY",
    "analysts.invite_hash": "SHA-256 of the one-time setup link's token; the token is never kept",
    "analysts.invite_expires_on": "the last day the setup link works (a date, never a time of day)",
    "analysts.active": "whether the analyst may sign in; deactivating ends access at once",
    "analysts.created_on": "the day the analyst account was created (a date, never a time)",
    "analyst_sessions.id": "SHA-256 of a random session id; the id itself lives only in the cookie",
    "analyst_sessions.sealed": "analyst session state under a key only the analyst's cookie holds",
    "analyst_sessions.expires_on": "the day the session row may be purged; idle deadline is sealed",
    "releases.id": RANDOM_ID,
    "releases.source": "intake (measured) or provider (statistical return): a table's origin",
    "releases.provider_id": "which provider's return a released table is; empty for intake's own",
    "releases.period": "the completed quarter or financial year a released table describes (G6)",
    "releases.table_name": "which fixed one-way table or measure set this release is (G6)",
    "releases.content": "the disclosure-protected table as released: rounded, suppressed (G6)",
    "releases.released_on": "the day the table was released, for the release log (a date only)",
    "exports.id": RANDOM_ID,
    "exports.analyst_id": "which analyst downloaded released tables (every export is logged)",
    "exports.period": "which period's released tables were downloaded, for the release log",
    "exports.file_format": "CSV or JSON: which form of the released tables was downloaded",
    "exports.exported_on": "the day of the download, for the release log (a date, never a time)",
    "audit_heads.recipient_id": "which provider console sent this copy of its audit-chain head",
    "audit_heads.seq": "the number of the console's newest audit entry at a sync (G8 anchor)",
    "audit_heads.mac": "that entry's HMAC under the console's key: checkable by the console only",
}

# Names that would mean a client address, user agent, HTTP Referer header or a moment in time.
# Matched on whole underscore-separated words, so `recipient_id` (not "ip") and
# `referrer_public_key` (the referrer's own key, not a Referer header) are fine.
FORBIDDEN_NAME = re.compile(
    r"(?:^|_)(?:ip|ips|ipv4|ipv6|address|addr|remote|host|agent|ua|referer|header|headers"
    r"|time|times|timestamp|datetime|ts|hour|minute|second|at)(?:_|$)"
)
TIME_OF_DAY_TYPES = (sa.DateTime, sa.Time, sa.Interval)


@cache
def load_intake_models():
    """Build an intake app, so every model the deployment imports is in the metadata."""
    create_intake_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def model_columns():
    load_intake_models()
    return {
        f"{table.name}.{column.name}": column
        for table in IntakeBase.metadata.sorted_tables
        for column in table.columns
    }


def test_every_intake_column_has_a_written_reason_to_exist():
    columns = set(model_columns())
    unexplained = sorted(columns - set(ALLOWED))
    stale = sorted(set(ALLOWED) - columns)
    assert unexplained == [], "new columns: write in ALLOWED why the police side may hold them"
    assert stale == [], "stale ALLOWED entries: these columns no longer exist"
    assert all(len(reason) > 20 for reason in ALLOWED.values())


def test_no_intake_column_can_hold_a_time_of_day():
    timed = [where for where, column in model_columns().items()
             if isinstance(column.type, TIME_OF_DAY_TYPES)]
    assert timed == []


def test_no_intake_column_is_named_for_an_address_an_agent_a_referer_or_a_time():
    named = [where for where in model_columns() if FORBIDDEN_NAME.search(where.split(".")[1])]
    assert named == []


@pytest.mark.parametrize("name", [
    "ip", "client_ip", "ip_address", "address", "remote_addr", "user_agent", "agent",
    "referer", "http_referer", "referrer_header", "time", "sent_time", "timestamp",
    "created_at", "updated_at", "seen_at", "received_datetime", "ts",
])
def test_the_name_rule_catches_identifying_or_timed_names(name):
    assert FORBIDDEN_NAME.search(name)


@pytest.mark.parametrize("name", [
    "referrer_public_key", "recipient_id", "status", "service", "author", "position",
    "sent_on", "expires_on", "first_contact_on", "lookup_id", "fingerprint", "sealed",
])
def test_the_name_rule_lets_the_referrers_own_key_and_plain_names_through(name):
    assert not FORBIDDEN_NAME.search(name)


def reflected_columns(engine):
    inspector = sa.inspect(engine)
    return {
        f"{table}.{column['name']}": column
        for table in inspector.get_table_names()
        if table != "alembic_version"
        for column in inspector.get_columns(table)
    }


def drop_everything(engine):
    metadata = sa.MetaData()
    metadata.reflect(bind=engine)
    metadata.drop_all(bind=engine)


def assert_migrated_like_the_models(engine):
    models = model_columns()
    migrated = reflected_columns(engine)
    assert sorted(migrated) == sorted(models)
    for where, column in migrated.items():
        model = models[where]
        assert column["nullable"] == model.nullable, where
        assert column["type"]._type_affinity is model.type._type_affinity, where
        assert not isinstance(column["type"], TIME_OF_DAY_TYPES), where
        if isinstance(model.type, sa.String):
            assert column["type"].length == model.type.length, where
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), IntakeBase.metadata)
    assert differences == []


def migration_database(backend, tmp_path, request):
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'migrated.sqlite'}"
    return request.getfixturevalue("database_url")


@pytest.mark.parametrize("backend", [
    "sqlite",
    pytest.param("postgresql", marks=[
        pytest.mark.postgres,
        pytest.mark.skipif(not POSTGRES, reason="needs TEST_DATABASE_URL"),
    ]),
])
def test_the_migration_builds_exactly_the_model_columns_and_goes_down_and_up_again(
    backend, tmp_path, request
):
    flask_app = create_intake_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": migration_database(backend, tmp_path, request),
    })
    with flask_app.app_context():
        engine = intake_db.engine
        assert engine.dialect.name == backend
        drop_everything(engine)
        try:
            upgrade()
            assert_migrated_like_the_models(engine)
            downgrade(revision="base")
            assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert_migrated_like_the_models(engine)
        finally:
            drop_everything(engine)
            assert sa.inspect(engine).get_table_names() == []
            engine.dispose()
