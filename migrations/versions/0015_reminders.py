"""reminders: rules, one reminder per invoice and step, pauses, follow-up notes

Revision ID: 0015_reminders
Revises: 0014_customer_sync
Create Date: 2026-12-02 13:00:00

"Never the same step twice for one invoice" is a fact of the schema: a unique
constraint on reminder (document_id, step). Template versions gain the purpose
"reminder" (the reminder email, per language, approved like the others).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_reminders'
down_revision = "0018_pdf_bundles"
branch_labels = None
depends_on = None


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _purposes(values):
    with op.batch_alter_table('document_template', schema=None) as batch_op:
        batch_op.drop_constraint('ck_template_purpose', type_='check')
        batch_op.create_check_constraint('ck_template_purpose', _in('purpose', values))


def upgrade():
    op.create_table(
        'reminder_rule',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('name', sa.String(100), nullable=False),
        sa.Column('company_id', sa.Integer(),
                  sa.ForeignKey('company.id', ondelete='CASCADE'), nullable=True),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('payment_state', sa.String(20), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(_in('payment_state', ('any', 'unpaid', 'partially_paid')),
                           name='ck_reminder_rule_state'),
        sa.CheckConstraint('days >= -365 AND days <= 365', name='ck_reminder_rule_days'),
    )
    op.create_index('ix_reminder_rule_company_id', 'reminder_rule', ['company_id'])
    op.create_table(
        'reminder',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('document_id', sa.Integer(),
                  sa.ForeignKey('document.id', ondelete='CASCADE'), nullable=False),
        sa.Column('company_id', sa.Integer(),
                  sa.ForeignKey('company.id', ondelete='CASCADE'), nullable=True),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('rule_id', sa.Integer(),
                  sa.ForeignKey('reminder_rule.id', ondelete='SET NULL'), nullable=True),
        sa.Column('rule_name', sa.String(100), nullable=False),
        sa.Column('state', sa.String(10), nullable=False),
        sa.Column('business_day', sa.Date(), nullable=False),
        sa.Column('recipient', sa.String(254)),
        sa.Column('subject', sa.String(300)),
        sa.Column('body', sa.Text()),
        sa.Column('balance', sa.Numeric(18, 4)),
        sa.Column('currency', sa.String(3)),
        sa.Column('template_id', sa.Integer(), sa.ForeignKey('document_template.id')),
        sa.Column('pdf_id', sa.Integer(), sa.ForeignKey('document_pdf.id')),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text()),
        sa.Column('message_id', sa.String(200)),
        sa.Column('requested_by_id', sa.Integer(), sa.ForeignKey('ab_user.id')),
        sa.Column('claimed_at', sa.DateTime(), nullable=False),
        sa.Column('sending_started_at', sa.DateTime()),
        sa.Column('sent_at', sa.DateTime()),
        sa.CheckConstraint(
            _in('state', ('claimed', 'sending', 'sent', 'failed', 'cancelled')),
            name='ck_reminder_state'),
        sa.UniqueConstraint('document_id', 'step', name='uq_reminder_step'),
    )
    op.create_index('ix_reminder_document_id', 'reminder', ['document_id'])
    op.create_index('ix_reminder_company_id', 'reminder', ['company_id'])
    op.create_index('ix_reminder_state', 'reminder', ['state'])
    op.create_table(
        'reminder_pause',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('company_id', sa.Integer(),
                  sa.ForeignKey('company.id', ondelete='CASCADE'), nullable=True),
        sa.Column('document_id', sa.Integer(),
                  sa.ForeignKey('document.id', ondelete='CASCADE'), nullable=True),
        sa.Column('reason', sa.Text()),
        sa.Column('paused_by_id', sa.Integer(), sa.ForeignKey('ab_user.id')),
        sa.Column('paused_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('(company_id IS NULL) <> (document_id IS NULL)',
                           name='ck_reminder_pause_target'),
    )
    for column in ('company_id', 'document_id'):
        where = sa.text(f'{column} IS NOT NULL')
        op.create_index(f'uq_reminder_pause_{column[:-3]}', 'reminder_pause', [column],
                        unique=True, postgresql_where=where, sqlite_where=where)
    op.create_table(
        'follow_up_note',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('company_id', sa.Integer(),
                  sa.ForeignKey('company.id', ondelete='CASCADE'), nullable=False),
        sa.Column('document_id', sa.Integer(),
                  sa.ForeignKey('document.id', ondelete='SET NULL'), nullable=True),
        sa.Column('kind', sa.String(10), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('promised_on', sa.Date()),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('ab_user.id')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            _in('kind', ('call', 'reply', 'note', 'promise', 'paused', 'resumed')),
            name='ck_follow_up_note_kind'),
        sa.CheckConstraint("kind <> 'promise' OR promised_on IS NOT NULL",
                           name='ck_follow_up_note_promise'),
    )
    op.create_index('ix_follow_up_note_company_id', 'follow_up_note', ['company_id'])
    op.create_index('ix_follow_up_note_document_id', 'follow_up_note', ['document_id'])
    op.create_index('ix_follow_up_note_created_at', 'follow_up_note', ['created_at'])
    _purposes(('pdf', 'email', 'reminder'))


def downgrade():
    op.drop_table('follow_up_note')
    op.drop_table('reminder_pause')
    op.drop_table('reminder')
    op.drop_table('reminder_rule')
    op.execute("DELETE FROM document_template WHERE purpose = 'reminder'")
    _purposes(('pdf', 'email'))
