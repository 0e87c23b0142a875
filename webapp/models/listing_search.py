"""The substring index behind the listings table's search (SKU and title), per database.

A search is ``LIKE '%term%'``, which no B-tree can answer: at 100,000 variants a scan costs more than
the table's 50 ms budget. So each database gets a trigram index, outside the models' metadata (neither
is expressible as a plain ``Index``):

- SQLite: an FTS5 table with the ``trigram`` tokenizer over ``listing_variants`` (external content, so
  it stores only the index), kept in step by triggers. Triggers fire only on changes of ``sku`` or
  ``title``, so price, quantity and status updates (every sync) cost nothing extra.
- PostgreSQL: a GIN index with ``pg_trgm``'s ``gin_trgm_ops`` on both columns, which ``ILIKE`` uses.

``create_all`` (tests, benchmarks, a fresh demo database) builds them through the DDL events below;
migration 0005 builds them on migrated databases. Both must stay the same SQL. Migration comparisons
skip these objects by name (``include_name``), since the models do not declare them.

Caveat: a future SQLite batch migration that *recreates* ``listing_variants`` drops its triggers; it
must run ``search_ddl`` again (the search falls back to a scan while the triggers are missing).
"""

from __future__ import annotations

import sqlalchemy as sa

from webapp.models.listing import ListingVariant

SEARCH_TABLE = "listing_search"
TRIGGERS = ("listing_search_insert", "listing_search_delete", "listing_search_update")
TRIGRAM_INDEX = "ix_listing_variants_search_trgm"
# FTS5 keeps its index in shadow tables named after the virtual table.
SEARCH_OBJECTS = frozenset(
    {SEARCH_TABLE, TRIGRAM_INDEX, *(f"{SEARCH_TABLE}_{s}" for s in ("data", "idx", "docsize", "config"))}
)
# FTS5's trigram tokenizer indexes 3-character sequences: shorter terms cannot use it.
MIN_INDEXED_TERM = 3

SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {SEARCH_TABLE} USING fts5("
    "sku, title, content='listing_variants', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER IF NOT EXISTS {TRIGGERS[0]} AFTER INSERT ON listing_variants BEGIN "
    f"INSERT INTO {SEARCH_TABLE} (rowid, sku, title) VALUES (new.id, new.sku, new.title); END",
    f"CREATE TRIGGER IF NOT EXISTS {TRIGGERS[1]} AFTER DELETE ON listing_variants BEGIN "
    f"INSERT INTO {SEARCH_TABLE} ({SEARCH_TABLE}, rowid, sku, title) "
    "VALUES ('delete', old.id, old.sku, old.title); END",
    f"CREATE TRIGGER IF NOT EXISTS {TRIGGERS[2]} AFTER UPDATE OF sku, title ON listing_variants "
    # Bulk upserts rewrite unchanged titles too: only a real change is worth re-indexing.
    "WHEN old.sku IS NOT new.sku OR old.title IS NOT new.title BEGIN "
    f"INSERT INTO {SEARCH_TABLE} ({SEARCH_TABLE}, rowid, sku, title) "
    "VALUES ('delete', old.id, old.sku, old.title); "
    f"INSERT INTO {SEARCH_TABLE} (rowid, sku, title) VALUES (new.id, new.sku, new.title); END",
    # Index the rows that already exist (none on a fresh table; every row on a migrated one).
    f"INSERT INTO {SEARCH_TABLE} ({SEARCH_TABLE}) VALUES ('rebuild')",
)
SQLITE_DROP = f"DROP TABLE IF EXISTS {SEARCH_TABLE}"
_TRGM_SCHEMA = (
    "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
    "WHERE e.extname = 'pg_trgm'"
)


def search_ddl(connection: sa.Connection) -> None:
    """Create the search index of ``connection``'s database (idempotent; a no-op on other databases)."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_CREATE:
            connection.exec_driver_sql(statement)
    elif dialect == "postgresql":
        schema = connection.scalar(sa.text(_TRGM_SCHEMA))
        if schema is None:
            # In ``public``, not the session's schema: one extension serves every schema of the database.
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
            schema = connection.scalar(sa.text(_TRGM_SCHEMA))
        ops = f'"{schema}".gin_trgm_ops'
        connection.exec_driver_sql(
            f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON listing_variants "
            f"USING gin (sku {ops}, title {ops})"
        )


def search_index_ready(connection: sa.Connection) -> bool:
    """True when the SQLite search table and all its triggers exist (else the search scans)."""
    names = set(
        connection.scalars(
            sa.text("SELECT name FROM sqlite_master WHERE name IN :names").bindparams(
                sa.bindparam("names", expanding=True)
            ),
            {"names": [SEARCH_TABLE, *TRIGGERS]},
        )
    )
    return len(names) == 1 + len(TRIGGERS)


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic ``include_name`` hook: leave the search objects out of schema comparisons."""
    return name not in SEARCH_OBJECTS


def _after_create(table: sa.Table, connection: sa.Connection, **kw) -> None:
    search_ddl(connection)


def _before_drop(table: sa.Table, connection: sa.Connection, **kw) -> None:
    # The GIN index and the triggers go with the table; the FTS5 table is a table of its own.
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(SQLITE_DROP)


sa.event.listen(ListingVariant.__table__, "after_create", _after_create)
sa.event.listen(ListingVariant.__table__, "before_drop", _before_drop)
