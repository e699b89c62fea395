"""one document: provider invoices are links of Renkei documents; provider payments;
the mismatch report

Revision ID: 0011_links
Revises: 0010_sync
Create Date: 2026-12-02 09:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_links'
down_revision = '0010_sync'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('external_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('origin', sa.String(length=10), nullable=False, server_default='issued')
        )
        batch_op.alter_column('deal_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            'fk_external_document_document_id', 'document', ['document_id'], ['id']
        )
        batch_op.create_index(
            'ix_external_document_document_id', ['document_id'], unique=False
        )
        batch_op.create_unique_constraint(
            'uq_external_document_document', ['connection_id', 'document_id']
        )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('connection_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_payment_connection_id', 'connection', ['connection_id'], ['id']
        )
        batch_op.create_index('ix_payment_connection_id', ['connection_id'], unique=False)
    op.create_table(
        'mismatch',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('connection_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('external_id', sa.String(length=64), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=True),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.Column('reference', sa.String(length=64), nullable=True),
        sa.Column('number', sa.String(length=64), nullable=True),
        sa.Column('renkei_value', sa.Text(), nullable=True),
        sa.Column('provider_value', sa.Text(), nullable=True),
        sa.Column('found_at', sa.DateTime(), nullable=False),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.Column('ignored_at', sa.DateTime(), nullable=True),
        sa.Column('ignored_by_id', sa.Integer(), nullable=True),
        sa.Column('ignored_reason', sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('total', 'tax', 'status', 'customer', 'deleted', 'unknown')",
            name='ck_mismatch_kind',
        ),
        sa.ForeignKeyConstraint(['connection_id'], ['connection.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['document_id'], ['document.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['ignored_by_id'], ['ab_user.id']),
        sa.ForeignKeyConstraint(['link_id'], ['external_document.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('connection_id', 'kind', 'external_id', name='uq_mismatch'),
    )
    op.create_index('ix_mismatch_connection_id', 'mismatch', ['connection_id'], unique=False)
    op.create_index('ix_mismatch_resolved_at', 'mismatch', ['resolved_at'], unique=False)


def downgrade():
    op.drop_index('ix_mismatch_resolved_at', table_name='mismatch')
    op.drop_index('ix_mismatch_connection_id', table_name='mismatch')
    op.drop_table('mismatch')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_connection_id')
        batch_op.drop_constraint('fk_payment_connection_id', type_='foreignkey')
        batch_op.drop_column('connection_id')
    op.execute("DELETE FROM external_document WHERE deal_id IS NULL")
    with op.batch_alter_table('external_document', schema=None) as batch_op:
        batch_op.drop_constraint('uq_external_document_document', type_='unique')
        batch_op.drop_index('ix_external_document_document_id')
        batch_op.drop_constraint('fk_external_document_document_id', type_='foreignkey')
        batch_op.alter_column('deal_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('origin')
        batch_op.drop_column('document_id')
