"""orders: the highest package number Amazon reports for the order (packages entered outside Shelfsync)

Get Orders asks for Amazon's ``packages`` and keeps the highest numeric ``packageReferenceId`` here, so a
package added in Shelfsync is numbered after the ones Amazon already holds (e.g. shipped in Seller
Central) and Sync Orders never replaces them. NULL: Amazon reported no package (or not read yet).

Revision ID: 90895ea0a9b4
Revises: cc2b992ec3b9
Create Date: 2026-11-29 03:55:21.731140

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '90895ea0a9b4'
down_revision = 'cc2b992ec3b9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amazon_package_reference', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('amazon_package_reference')
