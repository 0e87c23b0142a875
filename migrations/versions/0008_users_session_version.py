"""users: session_version, part of the session id, raised at log-out so a copied cookie stops working

Existing users start at 1; sessions signed in before this migration carry a bare user id and are asked
to sign in again.

Revision ID: cc2b992ec3b9
Revises: 24c2aba73857
Create Date: 2026-11-29 03:55:38.754102

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'cc2b992ec3b9'
down_revision = '24c2aba73857'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
