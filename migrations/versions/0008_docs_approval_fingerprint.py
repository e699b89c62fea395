"""approval requests remember the content they ask about; a request can be withdrawn;
at most one open request per document

Revision ID: 0008_docs
Revises: 0007
Create Date: 2026-12-02 05:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008_docs"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("approval_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch_op.drop_constraint("ck_approval_decision", type_="check")
        batch_op.create_check_constraint(
            "ck_approval_decision",
            "decision IS NULL OR decision IN ('approved', 'rejected', 'withdrawn')",
        )
    # Requests left open by a reopen or a race: only the newest open one per document stays.
    op.execute(
        "UPDATE approval_request SET decision = 'withdrawn', "
        "comment = 'Withdrawn when one open request per document became the rule.' "
        "WHERE decision IS NULL AND id NOT IN "
        "(SELECT max(id) FROM approval_request WHERE decision IS NULL GROUP BY document_id)"
    )
    op.create_index(
        "uq_approval_open_request",
        "approval_request",
        ["document_id"],
        unique=True,
        postgresql_where=sa.text("decision IS NULL"),
        sqlite_where=sa.text("decision IS NULL"),
    )


def downgrade():
    op.drop_index("uq_approval_open_request", table_name="approval_request")
    op.execute("UPDATE approval_request SET decision = 'rejected' WHERE decision = 'withdrawn'")
    with op.batch_alter_table("approval_request", schema=None) as batch_op:
        batch_op.drop_constraint("ck_approval_decision", type_="check")
        batch_op.create_check_constraint(
            "ck_approval_decision", "decision IS NULL OR decision IN ('approved', 'rejected')"
        )
        batch_op.drop_column("fingerprint")
