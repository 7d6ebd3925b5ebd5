"""Migration 0002_api_tokens goes up from 0001 and back down, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_intake_app
from app.extensions import intake_db
from app.models.intake import ApiToken
from tests.conftest import POSTGRES


def drop_everything(engine: sa.Engine) -> None:
    metadata = sa.MetaData()
    metadata.reflect(bind=engine)
    metadata.drop_all(bind=engine)


def api_token_differences(engine: sa.Engine) -> list[str]:
    """What autogenerate would still change about api_tokens (nothing, if it matches)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, ApiToken.metadata)
    return [repr(d) for d in differences if "api_tokens" in repr(d)]


@pytest.mark.parametrize("backend", [
    "sqlite",
    pytest.param("postgresql", marks=[
        pytest.mark.postgres,
        pytest.mark.skipif(not POSTGRES, reason="needs TEST_DATABASE_URL"),
    ]),
])
def test_migration_0002_adds_api_tokens_like_the_model_and_removes_them_again(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'fresh.sqlite'}" if backend == "sqlite"
        else request.getfixturevalue("database_url")
    )
    flask_app = create_intake_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with flask_app.app_context():
        engine = intake_db.engine
        drop_everything(engine)
        try:
            upgrade(revision="0001_intake")
            assert "api_tokens" not in sa.inspect(engine).get_table_names()
            upgrade(revision="0002_api_tokens")
            inspector = sa.inspect(engine)
            assert "api_tokens" in inspector.get_table_names()
            assert [fk["referred_table"] for fk in inspector.get_foreign_keys("api_tokens")] == [
                "recipients"
            ]
            assert api_token_differences(engine) == []
            downgrade(revision="0001_intake")
            tables = sa.inspect(engine).get_table_names()
            assert "api_tokens" not in tables and "referrals" in tables
            upgrade(revision="0002_api_tokens")
            assert api_token_differences(engine) == []
        finally:
            drop_everything(engine)
            engine.dispose()
