"""orders: the redaction index holds only orders not redacted yet

``ix_orders_redaction (shipped_at, redacted_at)`` kept every redacted order in the range the hourly
sweep reads; ``ix_orders_redaction_due (shipped_at) WHERE redacted_at IS NULL`` holds only the orders
that still carry buyer PII.

Revision ID: 8c3f1e2a9d60
Revises: 5e1a7c0d4b21
Create Date: 2026-11-29 02:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8c3f1e2a9d60'
down_revision = '5e1a7c0d4b21'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_orders_redaction', table_name='orders')
    op.create_index(
        'ix_orders_redaction_due',
        'orders',
        ['shipped_at'],
        unique=False,
        sqlite_where=sa.text('redacted_at IS NULL'),
        postgresql_where=sa.text('redacted_at IS NULL'),
    )


def downgrade():
    op.drop_index('ix_orders_redaction_due', table_name='orders')
    op.create_index('ix_orders_redaction', 'orders', ['shipped_at', 'redacted_at'], unique=False)
