"""external documents remember the provider customer their create was sent for

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('external_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customer_external_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('customer_department_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('external_document', schema=None) as batch_op:
        batch_op.drop_column('customer_department_id')
        batch_op.drop_column('customer_external_id')
