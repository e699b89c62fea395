"""search indexes: trigram indexes for "contains" searches (PostgreSQL), deals by amount

Revision ID: 0016_search_indexes
Revises: 0019_editor
Create Date: 2026-12-02 13:10:00

Written after 0014_customer_sync; re-chained after 0019_editor once that reached main.

A list's "contains" filter is ``ILIKE '%word%'``, which no B-tree index can serve: at
100,000 deals every search read the whole table. On PostgreSQL, GIN indexes with
pg_trgm's ``gin_trgm_ops`` serve ILIKE on deal titles, company names, contact names and
document numbers (``CREATE EXTENSION pg_trgm``: a trusted extension since PostgreSQL 13,
so the database's owner may create it). Their names start with ``ix_trgm_``; they exist
only here (migrations/env.py leaves them out of the model comparison). SQLite (the demo)
gets none: its LIKE scans, which is fine at the demo's size.

Sorting deals by amount gets a B-tree index on both databases (declared on the model).
The downgrade drops the indexes and leaves the extension, which other schemas may use.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016_search_indexes'
down_revision = "0015_reminders"
branch_labels = None
depends_on = None

TRIGRAM = (
    ('ix_trgm_deal_title', 'deal', 'title'),
    ('ix_trgm_company_name', 'company', 'name'),
    ('ix_trgm_contact_name', 'contact', 'name'),
    ('ix_trgm_document_number', 'document', 'number'),
)


def upgrade():
    op.create_index('ix_deal_amount', 'deal', ['amount'])
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    for name, table, column in TRIGRAM:
        op.create_index(
            name, table, [column],
            postgresql_using='gin',
            postgresql_ops={column: 'gin_trgm_ops'},
        )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for name, table, _column in TRIGRAM:
            op.drop_index(name, table_name=table)
    op.drop_index('ix_deal_amount', table_name='deal')
