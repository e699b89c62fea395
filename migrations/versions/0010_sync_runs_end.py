"""sync runs end: a heartbeat, the document a run works on, one create in flight

Revision ID: 0010_sync
Revises: 0009_bounds
Create Date: 2026-12-02 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_sync'
down_revision = '0009_bounds'
branch_labels = None
depends_on = None

IN_FLIGHT = "billing_status = 'pending'"
ACTIVE = "status IN ('queued', 'running') AND document_id IS NOT NULL"


def upgrade():
    with op.batch_alter_table('sync_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(
            'fk_sync_run_document_id', 'external_document', ['document_id'], ['id'],
            ondelete='SET NULL',
        )
    # Creates raced before this constraint existed: keep the newest pending document of
    # a deal at a connection, mark the others failed (their Retry looks them up first).
    op.execute(
        """
        UPDATE external_document SET billing_status = 'failed',
               last_error = 'Sent twice at once before version 0010; Retry looks it up first.'
        WHERE billing_status = 'pending' AND id NOT IN (
            SELECT MAX(id) FROM external_document WHERE billing_status = 'pending'
            GROUP BY connection_id, deal_id, kind)
        """
    )
    op.create_index(
        'uq_external_document_in_flight', 'external_document',
        ['connection_id', 'deal_id', 'kind'], unique=True,
        postgresql_where=sa.text(IN_FLIGHT), sqlite_where=sa.text(IN_FLIGHT),
    )
    op.create_index(
        'uq_sync_run_active_document', 'sync_run', ['document_id'], unique=True,
        postgresql_where=sa.text(ACTIVE), sqlite_where=sa.text(ACTIVE),
    )


def downgrade():
    op.drop_index('uq_sync_run_active_document', table_name='sync_run')
    op.drop_index('uq_external_document_in_flight', table_name='external_document')
    with op.batch_alter_table('sync_run', schema=None) as batch_op:
        batch_op.drop_constraint('fk_sync_run_document_id', type_='foreignkey')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('document_id')
