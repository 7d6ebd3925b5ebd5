"""The console's Alembic migrations build exactly its models, and go down and up again."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_console_app
from app.extensions import console_db
from app.models.base import ConsoleBase
from tests.conftest import POSTGRES


def drop_everything(engine):
    metadata = sa.MetaData()
    metadata.reflect(bind=engine)
    metadata.drop_all(bind=engine)


def assert_migrated_like_the_models(engine):
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), ConsoleBase.metadata)
    assert differences == []
    tables = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    assert tables == set(ConsoleBase.metadata.tables)


@pytest.mark.parametrize(
    "backend",
    [
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(not POSTGRES, reason="runs in the PostgreSQL pass of CI"),
        ),
    ],
)
def test_the_console_migrations_build_the_models_and_go_down_and_up_again(
    backend, tmp_path, request
):
    url = (
        f"sqlite:///{tmp_path / 'console.sqlite'}"
        if backend == "sqlite"
        else request.getfixturevalue("console_database_url")
    )
    app = create_console_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        engine = console_db.engine
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
            engine.dispose()
