"""listing search and filter indexes on listing variants

A trigram index on SKU and title for the table's search (issue 5, 100,000 variants):

SQLite: an FTS5 table (trigram tokenizer, external content) kept in step by triggers.
PostgreSQL: pg_trgm (in ``public``, shared by every schema) and a GIN index on both columns.
The same SQL as ``webapp/models/listing_search.py`` (what ``create_all`` runs), written out here so
that the migration never imports application code. The models do not declare these objects.

Filters: the (account, channel, status) index gains fulfillment_channel, so the status and fulfilment
filters count from the index alone; a partial index holds the variants with an error. The sort
indexes end in id, so PostgreSQL reads a page in (key, id) order instead of sorting the ties.

Revision ID: 5e1a7c0d4b21
Revises: 2976de0965c3
Create Date: 2026-11-29 01:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1a7c0d4b21'
down_revision = '2976de0965c3'
branch_labels = None
depends_on = None

SQLITE_UPGRADE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS listing_search USING fts5("
    "sku, title, content='listing_variants', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS listing_search_insert AFTER INSERT ON listing_variants BEGIN "
    "INSERT INTO listing_search (rowid, sku, title) VALUES (new.id, new.sku, new.title); END",
    "CREATE TRIGGER IF NOT EXISTS listing_search_delete AFTER DELETE ON listing_variants BEGIN "
    "INSERT INTO listing_search (listing_search, rowid, sku, title) "
    "VALUES ('delete', old.id, old.sku, old.title); END",
    "CREATE TRIGGER IF NOT EXISTS listing_search_update AFTER UPDATE OF sku, title ON listing_variants "
    "WHEN old.sku IS NOT new.sku OR old.title IS NOT new.title BEGIN "
    "INSERT INTO listing_search (listing_search, rowid, sku, title) "
    "VALUES ('delete', old.id, old.sku, old.title); "
    "INSERT INTO listing_search (rowid, sku, title) VALUES (new.id, new.sku, new.title); END",
    "INSERT INTO listing_search (listing_search) VALUES ('rebuild')",
)
SQLITE_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS listing_search_insert",
    "DROP TRIGGER IF EXISTS listing_search_delete",
    "DROP TRIGGER IF EXISTS listing_search_update",
    "DROP TABLE IF EXISTS listing_search",
)
TRGM_SCHEMA = (
    "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
    "WHERE e.extname = 'pg_trgm'"
)
# The table's sort indexes (name suffix: column), rebuilt to end in id.
SORT_KEYS = {'title': 'title', 'price': 'price', 'quantity': 'quantity', 'updated': 'updated_at'}


def upgrade():
    for name, column in SORT_KEYS.items():
        op.drop_index(f'ix_listing_variants_channel_{name}', table_name='listing_variants')
        op.create_index(
            f'ix_listing_variants_channel_{name}', 'listing_variants', ['channel_id', column, 'id'], unique=False
        )
    op.drop_index('ix_listing_variants_account_channel_status', table_name='listing_variants')
    op.create_index(
        'ix_listing_variants_account_channel_status_fulfillment',
        'listing_variants',
        ['account_id', 'channel_id', 'status', 'fulfillment_channel'],
        unique=False,
    )
    op.create_index(
        'ix_listing_variants_errors',
        'listing_variants',
        ['account_id', 'channel_id', 'sku'],
        unique=False,
        sqlite_where=sa.text("last_error != ''"),
        postgresql_where=sa.text("last_error != ''"),
    )
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        for statement in SQLITE_UPGRADE:
            op.execute(statement)
    elif bind.dialect.name == 'postgresql':
        schema = bind.scalar(sa.text(TRGM_SCHEMA))
        if schema is None:
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
            schema = bind.scalar(sa.text(TRGM_SCHEMA))
        ops = f'"{schema}".gin_trgm_ops'
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_listing_variants_search_trgm ON listing_variants "
            f"USING gin (sku {ops}, title {ops})"
        )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        for statement in SQLITE_DOWNGRADE:
            op.execute(statement)
    elif bind.dialect.name == 'postgresql':
        # The extension stays: other schemas of the database may use it.
        op.execute("DROP INDEX IF EXISTS ix_listing_variants_search_trgm")
    op.drop_index('ix_listing_variants_errors', table_name='listing_variants')
    op.drop_index('ix_listing_variants_account_channel_status_fulfillment', table_name='listing_variants')
    op.create_index(
        'ix_listing_variants_account_channel_status',
        'listing_variants',
        ['account_id', 'channel_id', 'status'],
        unique=False,
    )
    for name, column in SORT_KEYS.items():
        op.drop_index(f'ix_listing_variants_channel_{name}', table_name='listing_variants')
        op.create_index(
            f'ix_listing_variants_channel_{name}', 'listing_variants', ['channel_id', column], unique=False
        )
