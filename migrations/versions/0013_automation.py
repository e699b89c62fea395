"""stage automation: rules per deal type, the deal's automation events, automatic documents

Revision ID: 0013_automation
Revises: 0012_import
Create Date: 2026-12-02 10:00:00.000000

One automatic document of a kind per deal that is not void is a fact of the schema: a
partial unique index on document (deal_id, kind) where created_by_automation and the
state is not void (PostgreSQL and SQLite alike).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_automation'
down_revision = '0012_import'
branch_labels = None
depends_on = None

AUTOMATIC = "created_by_automation AND state <> 'void'"


def upgrade():
    op.create_table(
        'automation_rule',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('deal_type_id', sa.Integer(), nullable=True),
        sa.Column('trigger', sa.String(length=10), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('connection_id', sa.Integer(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "trigger IN ('won', 'lost')", name='ck_automation_rule_trigger'
        ),
        sa.CheckConstraint(
            "action IN ('quote', 'invoice', 'void_unsent')", name='ck_automation_rule_action'
        ),
        sa.CheckConstraint(
            "(trigger = 'won' AND action IN ('quote', 'invoice')) "
            "OR (trigger = 'lost' AND action = 'void_unsent')",
            name='ck_automation_rule_pair',
        ),
        sa.CheckConstraint(
            "connection_id IS NULL OR action = 'invoice'", name='ck_automation_rule_connection'
        ),
        sa.ForeignKeyConstraint(['deal_type_id'], ['deal_type.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['connection_id'], ['connection.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_automation_rule_deal_type_id', 'automation_rule', ['deal_type_id'], unique=False
    )
    op.create_table(
        'automation_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('deal_id', sa.Integer(), nullable=False),
        sa.Column('rule_id', sa.Integer(), nullable=True),
        sa.Column('rule_name', sa.String(length=100), nullable=False),
        sa.Column('stage', sa.String(length=20), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.Column('on_behalf_of_id', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.String(length=10), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('retried_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('created', 'issued', 'waiting', 'existing', 'voided', 'left', "
            "'refused', 'failed')",
            name='ck_automation_event_outcome',
        ),
        sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['rule_id'], ['automation_rule.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['document_id'], ['document.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['on_behalf_of_id'], ['ab_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_automation_event_at', 'automation_event', ['at'], unique=False)
    op.create_index('ix_automation_event_deal_id', 'automation_event', ['deal_id'], unique=False)
    op.create_index('ix_automation_event_rule_id', 'automation_event', ['rule_id'], unique=False)
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'created_by_automation', sa.Boolean(), nullable=False,
                server_default=sa.text('false'),
            )
        )
    op.create_index(
        'uq_document_automatic', 'document', ['deal_id', 'kind'], unique=True,
        postgresql_where=sa.text(AUTOMATIC), sqlite_where=sa.text(AUTOMATIC),
    )


def downgrade():
    op.drop_index('uq_document_automatic', table_name='document')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_column('created_by_automation')
    op.drop_index('ix_automation_event_rule_id', table_name='automation_event')
    op.drop_index('ix_automation_event_deal_id', table_name='automation_event')
    op.drop_index('ix_automation_event_at', table_name='automation_event')
    op.drop_table('automation_event')
    op.drop_index('ix_automation_rule_deal_type_id', table_name='automation_rule')
    op.drop_table('automation_rule')
