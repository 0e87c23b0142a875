"""source items: stated_at, when the supplier last stated the item's figures (changed or not)

Routing reserves what was routed to an item since then. Existing items have none and fall back to
``changed_at`` until their next upload.

Revision ID: 02b79a8fcb6e
Revises: 90895ea0a9b4
Create Date: 2026-11-29 04:44:33.041386

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '02b79a8fcb6e'
down_revision = '90895ea0a9b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('source_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stated_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('source_items', schema=None) as batch_op:
        batch_op.drop_column('stated_at')
