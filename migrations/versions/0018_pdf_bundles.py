"""pdf bundles: a zip of many documents' PDFs made by jobs across the workers

Revision ID: 0018_pdf_bundles
Revises: 0019_editor (written on 0014_customer_sync; re-chained after 0019_editor reached main)
Create Date: 2026-12-02 13:10:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_pdf_bundles'
down_revision = '0019_editor'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'pdf_bundle',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), sa.ForeignKey('ab_user.id'), nullable=False),
        sa.Column('state', sa.String(20), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('chunks', sa.Integer(), nullable=False),
        sa.Column('chunks_done', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text()),
        sa.Column('filename', sa.String(120), nullable=False),
        sa.Column('size', sa.Integer()),
        sa.Column('content', sa.LargeBinary()),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime()),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'assembling', 'done', 'failed')",
            name='ck_pdf_bundle_state',
        ),
    )
    op.create_index('ix_pdf_bundle_requested_by_id', 'pdf_bundle', ['requested_by_id'])
    op.create_table(
        'pdf_bundle_item',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('bundle_id', sa.Integer(),
                  sa.ForeignKey('pdf_bundle.id', ondelete='CASCADE'), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('chunk', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), sa.ForeignKey('document.id'), nullable=False),
        sa.Column('pdf_id', sa.Integer(), sa.ForeignKey('document_pdf.id')),
        sa.UniqueConstraint('bundle_id', 'position', name='uq_pdf_bundle_position'),
    )
    op.create_index('ix_pdf_bundle_item_bundle_id', 'pdf_bundle_item', ['bundle_id'])


def downgrade():
    op.drop_index('ix_pdf_bundle_item_bundle_id', table_name='pdf_bundle_item')
    op.drop_table('pdf_bundle_item')
    op.drop_index('ix_pdf_bundle_requested_by_id', table_name='pdf_bundle')
    op.drop_table('pdf_bundle')
