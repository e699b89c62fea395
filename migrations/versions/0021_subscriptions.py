"""subscriptions: plan lines, prorated changes, usage, one billed row per period

Revision ID: 0021_subscriptions
Revises: 0023_orders
Create Date: 2026-12-02 17:30:00

"Each period is invoiced once" is a fact of the schema: a unique constraint on
subscription_period (subscription_id, period_start), the row pointing at its invoice.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_subscriptions'
down_revision = "0023_orders"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(18, 4)
QUANTITY = sa.Numeric(14, 4)
TAX = "tax_rate IN ('standard_10', 'reduced_8', 'exempt')"


def upgrade():
    op.create_table(
        'subscription',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('company_id', sa.Integer(), sa.ForeignKey('company.id'), nullable=False),
        sa.Column('legal_entity_id', sa.Integer(), sa.ForeignKey('legal_entity.id')),
        sa.Column('deal_id', sa.Integer(), sa.ForeignKey('deal.id')),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('interval', sa.String(10), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('renewal', sa.String(10), nullable=False),
        sa.Column('notice_days', sa.Integer(), nullable=False),
        sa.Column('term_months', sa.Integer(), nullable=False),
        sa.Column('renewed_until', sa.Date()),
        sa.Column('ends_on', sa.Date()),
        sa.Column('cancelled_on', sa.Date()),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('ab_user.id')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("interval IN ('monthly', 'annual')", name='ck_subscription_interval'),
        sa.CheckConstraint("renewal IN ('automatic', 'decision')", name='ck_subscription_renewal'),
        sa.CheckConstraint("currency IN ('JPY', 'USD', 'EUR', 'GBP', 'CNY', 'KRW', 'SGD', 'TWD')", name='ck_subscription_currency'),
        sa.CheckConstraint('notice_days >= 0 AND notice_days <= 365', name='ck_subscription_notice'),
        sa.CheckConstraint('term_months >= 1 AND term_months <= 120', name='ck_subscription_term'),
    )
    op.create_index('ix_subscription_company_id', 'subscription', ['company_id'])
    op.create_index('ix_subscription_deal_id', 'subscription', ['deal_id'])
    op.create_table(
        'subscription_line',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('subscription_id', sa.Integer(),
                  sa.ForeignKey('subscription.id', ondelete='CASCADE'), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), sa.ForeignKey('product.id')),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('unit_price', MONEY, nullable=False),
        sa.Column('quantity', QUANTITY, nullable=False),
        sa.Column('tax_rate', sa.String(20), nullable=False),
        sa.Column('starts_on', sa.Date()),
        sa.CheckConstraint('quantity > 0', name='ck_subscription_line_quantity'),
        sa.CheckConstraint('unit_price >= 0', name='ck_subscription_line_unit_price'),
        sa.CheckConstraint(TAX, name='ck_subscription_line_tax_rate'),
    )
    op.create_index('ix_subscription_line_subscription_id', 'subscription_line',
                    ['subscription_id'])
    op.create_table(
        'subscription_change',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('subscription_id', sa.Integer(),
                  sa.ForeignKey('subscription.id', ondelete='CASCADE'), nullable=False),
        sa.Column('line_id', sa.Integer(),
                  sa.ForeignKey('subscription_line.id', ondelete='SET NULL')),
        sa.Column('kind', sa.String(10), nullable=False),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('tax_rate', sa.String(20), nullable=False),
        sa.Column('effective_on', sa.Date(), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('old_unit_price', MONEY),
        sa.Column('new_unit_price', MONEY),
        sa.Column('old_quantity', QUANTITY),
        sa.Column('new_quantity', QUANTITY),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('settled_at', sa.DateTime()),
        sa.Column('document_id', sa.Integer(), sa.ForeignKey('document.id')),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('ab_user.id')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('price', 'quantity', 'line', 'cancel')",
                           name='ck_subscription_change_kind'),
        sa.CheckConstraint(TAX, name='ck_subscription_change_tax_rate'),
    )
    op.create_index('ix_subscription_change_subscription_id', 'subscription_change',
                    ['subscription_id'])
    op.create_index('ix_subscription_change_document_id', 'subscription_change', ['document_id'])
    op.create_table(
        'subscription_usage',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('subscription_id', sa.Integer(),
                  sa.ForeignKey('subscription.id', ondelete='CASCADE'), nullable=False),
        sa.Column('metric', sa.String(100), nullable=False),
        sa.Column('used_on', sa.Date(), nullable=False),
        sa.Column('quantity', QUANTITY, nullable=False),
        sa.Column('unit_price', MONEY, nullable=False),
        sa.Column('tax_rate', sa.String(20), nullable=False),
        sa.Column('document_id', sa.Integer(), sa.ForeignKey('document.id')),
        sa.Column('imported_by_id', sa.Integer(), sa.ForeignKey('ab_user.id')),
        sa.Column('imported_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('quantity > 0', name='ck_subscription_usage_quantity'),
        sa.CheckConstraint('unit_price >= 0', name='ck_subscription_usage_unit_price'),
        sa.CheckConstraint(TAX, name='ck_subscription_usage_tax_rate'),
        sa.UniqueConstraint('subscription_id', 'metric', 'used_on',
                            name='uq_subscription_usage_day'),
    )
    op.create_index('ix_subscription_usage_subscription_id', 'subscription_usage',
                    ['subscription_id'])
    op.create_index('ix_subscription_usage_document_id', 'subscription_usage', ['document_id'])
    op.create_table(
        'subscription_period',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('subscription_id', sa.Integer(),
                  sa.ForeignKey('subscription.id', ondelete='CASCADE'), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('document_id', sa.Integer(), sa.ForeignKey('document.id')),
        sa.Column('billed_on', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('subscription_id', 'period_start', name='uq_subscription_period'),
    )
    op.create_index('ix_subscription_period_subscription_id', 'subscription_period',
                    ['subscription_id'])
    op.create_index('ix_subscription_period_document_id', 'subscription_period',
                    ['document_id'])


def downgrade():
    op.drop_table('subscription_period')
    op.drop_table('subscription_usage')
    op.drop_table('subscription_change')
    op.drop_table('subscription_line')
    op.drop_table('subscription')
