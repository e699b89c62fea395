"""payment terms on customers and issuers; an email's cc and attachment name as sent

Revision ID: 0019_editor
Revises: 0014_customer_sync
Create Date: 2026-12-02 12:45:00

The one-page editor defaults a document's due date from the customer's payment terms,
else the issuer's; the send preview lets a person edit the cc and the attachment's name.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_editor'
down_revision = '0014_customer_sync'
branch_labels = None
depends_on = None

TERMS = "payment_terms_days IS NULL OR (payment_terms_days >= 0 AND payment_terms_days <= 365)"


def upgrade():
    for table in ('company', 'legal_entity'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('payment_terms_days', sa.Integer(), nullable=True))
            batch_op.create_check_constraint(f'ck_{table}_payment_terms', TERMS)
    with op.batch_alter_table('email_dispatch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cc', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('attachment_name', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('email_dispatch', schema=None) as batch_op:
        batch_op.drop_column('attachment_name')
        batch_op.drop_column('cc')
    for table in ('legal_entity', 'company'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'ck_{table}_payment_terms', type_='check')
            batch_op.drop_column('payment_terms_days')
