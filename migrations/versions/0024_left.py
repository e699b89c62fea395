"""follow-up notes: an idempotency fingerprint, unique

Revision ID: 0024_left
Revises: 0016_search_indexes
Create Date: 2026-12-02 17:30:00

``follow_up_note.fingerprint``: a hash of the company, author, kind, invoice, text,
promised day and the minute-window the note was written in (services/reminders/
followups.py). Unique, so N identical posts at once make one note even on a path that
skips the company's lock. Older rows and pause/resume lines keep it empty (NULLs do not
collide on PostgreSQL or SQLite).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0024_left"
down_revision = "0016_search_indexes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("follow_up_note") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_follow_up_note_fingerprint", ["fingerprint"])


def downgrade():
    with op.batch_alter_table("follow_up_note") as batch:
        batch.drop_constraint("uq_follow_up_note_fingerprint", type_="unique")
        batch.drop_column("fingerprint")
