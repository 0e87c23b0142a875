"""The Alembic migrations and the models describe the same schema (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tests.conftest import TEST_DATABASE_URL
from webapp import create_app
from webapp.extensions import db
from webapp.models.listing_search import TRIGGERS, TRIGRAM_INDEX, include_name


@pytest.fixture
def empty_app(app_config, redis):
    """An app whose database has no tables yet (the migrations create them)."""
    application = create_app(app_config)
    with application.app_context():
        if TEST_DATABASE_URL:
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        yield application
        if TEST_DATABASE_URL:
            # Leave the shared PostgreSQL database the way the other tests expect it.
            downgrade(revision="base")
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            db.create_all()
        db.engine.dispose()


def test_migrations_match_the_models(empty_app):
    upgrade()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_downgrade_to_empty(empty_app):
    upgrade()
    downgrade(revision="base")
    tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert tables == set()


def test_migrations_build_the_search_index(empty_app):
    upgrade()
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            names = set(conn.scalars(sa.text("SELECT name FROM sqlite_master")))
            assert {"listing_search", *TRIGGERS} <= names
        else:
            indexes = {i["name"] for i in sa.inspect(conn).get_indexes("listing_variants")}
            assert TRIGRAM_INDEX in indexes
    downgrade(revision="base")
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            assert not set(conn.scalars(sa.text("SELECT name FROM sqlite_master"))) & {"listing_search"}
