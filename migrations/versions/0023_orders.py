"""orders: sales orders, shipments, billing settings (締め日, 支払サイト), closing runs

Revision ID: 0023_orders
Revises: 0020_entities (chained after the rebase on main; assigned 0016_search_indexes)
Create Date: 2026-12-02 17:30:00

"A shipment line is billed once" is held by the schema: shipment_line.document_id is
one invoice (set with ``WHERE document_id IS NULL`` under a row lock), one invoice line
bills one shipment line (unique document_line_id), an order line never ships more than
ordered (CHECK shipped_quantity <= quantity), and one closing per customer and period
among those not voided (partial unique index uq_closing_run_period).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_orders'
down_revision = "0020_entities"
branch_labels = None
depends_on = None


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


TAX_RATES = ('standard_10', 'reduced_8', 'exempt')
MONEY = sa.Numeric(18, 4)
QUANTITY = sa.Numeric(14, 4)


def upgrade():
    op.create_table(
        'billing_setting',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('company_id', sa.Integer(),
                  sa.ForeignKey('company.id', ondelete='CASCADE'), nullable=False),
        sa.Column('mode', sa.String(20), nullable=False),
        sa.Column('closing_day', sa.Integer(), nullable=False),
        sa.Column('pay_months', sa.Integer(), nullable=False),
        sa.Column('pay_day', sa.Integer(), nullable=False),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(_in('mode', ('per_shipment', 'monthly')),
                           name='ck_billing_setting_mode'),
        sa.CheckConstraint('closing_day IN (5, 10, 15, 20, 25, 31)',
                           name='ck_billing_setting_closing_day'),
        sa.CheckConstraint('pay_months >= 0 AND pay_months <= 6',
                           name='ck_billing_setting_months'),
        sa.CheckConstraint('pay_day >= 1 AND pay_day <= 31', name='ck_billing_setting_pay_day'),
        sa.UniqueConstraint('company_id', name='uq_billing_setting_company_id'),
    )
    op.create_table(
        'sales_order',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('number', sa.String(30), nullable=True),
        sa.Column('company_id', sa.Integer(), sa.ForeignKey('company.id'), nullable=False),
        sa.Column('order_date', sa.Date(), nullable=False),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('customer_reference', sa.String(100)),
        sa.Column('notes', sa.Text()),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('ab_user.id')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('number', name='uq_sales_order_number'),
    )
    op.create_index('ix_sales_order_company_id', 'sales_order', ['company_id'])
    op.create_index('ix_sales_order_order_date', 'sales_order', ['order_date'])
    op.create_table(
        'sales_order_line',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('order_id', sa.Integer(),
                  sa.ForeignKey('sales_order.id', ondelete='CASCADE'), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), sa.ForeignKey('product.id')),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('unit', sa.String(20)),
        sa.Column('unit_price', MONEY, nullable=False),
        sa.Column('quantity', QUANTITY, nullable=False),
        sa.Column('tax_rate', sa.String(20), nullable=False),
        sa.Column('shipped_quantity', QUANTITY, nullable=False),
        sa.CheckConstraint('quantity > 0', name='ck_sales_order_line_quantity'),
        sa.CheckConstraint('unit_price >= 0', name='ck_sales_order_line_unit_price'),
        sa.CheckConstraint('shipped_quantity >= 0 AND shipped_quantity <= quantity',
                           name='ck_sales_order_line_shipped'),
        sa.CheckConstraint(_in('tax_rate', TAX_RATES), name='ck_sales_order_line_tax_rate'),
    )
    op.create_index('ix_sales_order_line_order_id', 'sales_order_line', ['order_id'])
    op.create_table(
        'shipment',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('order_id', sa.Integer(), sa.ForeignKey('sales_order.id'), nullable=False),
        sa.Column('company_id', sa.Integer(), sa.ForeignKey('company.id'), nullable=False),
        sa.Column('number', sa.String(40), nullable=False),
        sa.Column('shipped_on', sa.Date(), nullable=False),
        sa.Column('note', sa.Text()),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('ab_user.id')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('number', name='uq_shipment_number'),
    )
    op.create_index('ix_shipment_order_id', 'shipment', ['order_id'])
    op.create_index('ix_shipment_company_id', 'shipment', ['company_id'])
    op.create_index('ix_shipment_shipped_on', 'shipment', ['shipped_on'])
    op.create_table(
        'shipment_line',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('shipment_id', sa.Integer(), sa.ForeignKey('shipment.id'), nullable=False),
        sa.Column('order_line_id', sa.Integer(),
                  sa.ForeignKey('sales_order_line.id'), nullable=False),
        sa.Column('quantity', QUANTITY, nullable=False),
        sa.Column('document_id', sa.Integer(), sa.ForeignKey('document.id')),
        sa.Column('document_line_id', sa.Integer(),
                  sa.ForeignKey('document_line.id', ondelete='SET NULL')),
        sa.CheckConstraint('quantity > 0', name='ck_shipment_line_quantity'),
        sa.CheckConstraint('document_id IS NOT NULL OR document_line_id IS NULL',
                           name='ck_shipment_line_billed'),
        sa.UniqueConstraint('document_line_id', name='uq_shipment_line_document_line_id'),
    )
    op.create_index('ix_shipment_line_shipment_id', 'shipment_line', ['shipment_id'])
    op.create_index('ix_shipment_line_order_line_id', 'shipment_line', ['order_line_id'])
    op.create_index('ix_shipment_line_document_id', 'shipment_line', ['document_id'])
    op.create_table(
        'closing_run',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('company_id', sa.Integer(),
                  sa.ForeignKey('company.id', ondelete='CASCADE'), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('document_id', sa.Integer(), sa.ForeignKey('document.id')),
        sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.text('true')),
        sa.Column('run_by_id', sa.Integer(), sa.ForeignKey('ab_user.id')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_closing_run_company_id', 'closing_run', ['company_id'])
    op.create_index('ix_closing_run_document_id', 'closing_run', ['document_id'])
    where = sa.text('active')
    op.create_index('uq_closing_run_period', 'closing_run', ['company_id', 'period_end'],
                    unique=True, postgresql_where=where, sqlite_where=where)


def downgrade():
    op.drop_table('closing_run')
    op.drop_table('shipment_line')
    op.drop_table('shipment')
    op.drop_table('sales_order_line')
    op.drop_table('sales_order')
    op.drop_table('billing_setting')
