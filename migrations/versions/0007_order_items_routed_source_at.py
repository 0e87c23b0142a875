"""order items: routing's stock reservations read by (routed_source_id, routed_at)

Routing takes off a source item's stock what was routed to its source since the item's figure last
changed; the composite index answers that range and still serves the foreign key (its first column).

Revision ID: 24c2aba73857
Revises: 8c3f1e2a9d60
Create Date: 2026-11-29 03:24:12.536449

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '24c2aba73857'
down_revision = '8c3f1e2a9d60'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_items_routed_source_id'))
        batch_op.create_index('ix_order_items_routed_source_at', ['routed_source_id', 'routed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.drop_index('ix_order_items_routed_source_at')
        batch_op.create_index(batch_op.f('ix_order_items_routed_source_id'), ['routed_source_id'], unique=False)
