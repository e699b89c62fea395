"""customer sync: per-connection settings, contact and product links, per-record outcomes

Revision ID: 0014_customer_sync
Revises: 0013_automation
Create Date: 2026-12-02 10:00:00

Follows 0013_automation (written first after 0012_import, re-chained once 0013 reached main).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_customer_sync'
down_revision = '0013_automation'
branch_labels = None
depends_on = None


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


EXTENTS = ('to_provider', 'from_provider', 'both')


def upgrade():
    op.create_table(
        'customer_sync_setting',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('connection_id', sa.Integer(),
                  sa.ForeignKey('connection.id', ondelete='CASCADE'), nullable=False),
        sa.Column('modules', sa.String(20), nullable=False),
        sa.Column('include_orphan_contacts', sa.Boolean(), nullable=False),
        sa.Column('extent', sa.String(20), nullable=False),
        sa.Column('duplicates', sa.String(10), nullable=False),
        sa.Column('company_filter', sa.Text()),
        sa.Column('contact_filter', sa.Text()),
        sa.Column('product_filter', sa.Text()),
        sa.Column('field_map', sa.Text()),
        sa.Column('sync_products', sa.Boolean(), nullable=False),
        sa.Column('product_extent', sa.String(20), nullable=False),
        sa.Column('paused', sa.Boolean(), nullable=False),
        sa.Column('schedule_minutes', sa.Integer()),
        sa.Column('run_after_change', sa.Boolean(), nullable=False),
        sa.Column('last_run_at', sa.DateTime()),
        sa.Column('pulled_until', sa.DateTime()),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('connection_id', name='uq_customer_sync_setting_connection'),
        sa.CheckConstraint(_in('modules', ('companies', 'contacts', 'companies_contacts')),
                           name='ck_customer_sync_modules'),
        sa.CheckConstraint(_in('extent', EXTENTS), name='ck_customer_sync_extent'),
        sa.CheckConstraint(_in('duplicates', ('skip', 'overwrite')),
                           name='ck_customer_sync_duplicates'),
        sa.CheckConstraint(_in('product_extent', EXTENTS),
                           name='ck_customer_sync_product_extent'),
    )
    for table, column, target in (
        ('contact_link', 'contact_id', 'contact.id'),
        ('product_link', 'product_id', 'product.id'),
    ):
        extra = []
        if table == 'contact_link':
            extra.append(sa.Column('parent_external_id', sa.String(64)))
        else:
            extra.append(sa.UniqueConstraint('connection_id', 'external_id',
                                             name='uq_product_link_external'))
        op.create_table(
            table,
            sa.Column('id', sa.Integer(), primary_key=True),
            sa.Column('connection_id', sa.Integer(),
                      sa.ForeignKey('connection.id', ondelete='CASCADE'), nullable=False),
            sa.Column(column, sa.Integer(), sa.ForeignKey(target, ondelete='CASCADE'),
                      nullable=False),
            sa.Column('external_id', sa.String(64), nullable=False),
            sa.Column('pushed_fingerprint', sa.String(64)),
            sa.Column('provider_updated_at', sa.DateTime()),
            sa.Column('last_pushed_at', sa.DateTime()),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.Column('updated_at', sa.DateTime(), nullable=False),
            sa.UniqueConstraint('connection_id', column, name=f'uq_{table}'),
            *extra,
        )
    op.create_table(
        'sync_outcome',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('run_id', sa.Integer(), sa.ForeignKey('sync_run.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('record_kind', sa.String(10), nullable=False),
        sa.Column('record_id', sa.Integer()),
        sa.Column('external_id', sa.String(64)),
        sa.Column('label', sa.String(200)),
        sa.Column('direction', sa.String(20), nullable=False),
        sa.Column('outcome', sa.String(10), nullable=False),
        sa.Column('message', sa.Text()),
        sa.Column('loser', sa.Text()),
        sa.Column('retried_run_id', sa.Integer(),
                  sa.ForeignKey('sync_run.id', ondelete='SET NULL')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(_in('record_kind', ('company', 'contact', 'product')),
                           name='ck_sync_outcome_kind'),
        sa.CheckConstraint(
            _in('outcome', ('created', 'updated', 'skipped', 'failed', 'conflict')),
            name='ck_sync_outcome_outcome'),
        sa.CheckConstraint(_in('direction', ('to_provider', 'from_provider')),
                           name='ck_sync_outcome_direction'),
    )
    op.create_index('ix_sync_outcome_run_id', 'sync_outcome', ['run_id'])
    with op.batch_alter_table('partner_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_updated_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('sync_run', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('skipped', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('company', schema=None) as batch_op:
        batch_op.add_column(sa.Column('custom_fields', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('company', schema=None) as batch_op:
        batch_op.drop_column('custom_fields')
    with op.batch_alter_table('sync_run', schema=None) as batch_op:
        batch_op.drop_column('skipped')
    with op.batch_alter_table('partner_link', schema=None) as batch_op:
        batch_op.drop_column('provider_updated_at')
    op.drop_index('ix_sync_outcome_run_id', table_name='sync_outcome')
    op.drop_table('sync_outcome')
    op.drop_table('product_link')
    op.drop_table('contact_link')
    op.drop_table('customer_sync_setting')
