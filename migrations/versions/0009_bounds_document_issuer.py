"""documents keep the issuer (and its tax rounding) they were issued with

Revision ID: 0009_bounds
Revises: 0008_docs
Create Date: 2026-12-02 06:20:00

Documents that already left draft get their legal entity's current details, which is
the best that can be known of what they were issued with.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0009_bounds"
down_revision = "0008_docs"
branch_labels = None
depends_on = None

FIELDS = (
    "name",
    "name_en",
    "registration_number",
    "postal_code",
    "address",
    "bank_account",
)


def upgrade():
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tax_rounding", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("issuer_snapshot", sa.Text(), nullable=True))
    bind = op.get_bind()
    entities = {
        row.id: row
        for row in bind.execute(
            sa.text(f"SELECT id, tax_rounding, {', '.join(FIELDS)} FROM legal_entity")
        )
    }
    documents = bind.execute(
        sa.text("SELECT id, legal_entity_id FROM document WHERE state <> 'draft'")
    ).all()
    for document_id, entity_id in documents:
        entity = entities.get(entity_id)
        if entity is None:
            continue
        snapshot = json.dumps({f: getattr(entity, f) for f in FIELDS}, ensure_ascii=False)
        bind.execute(
            sa.text(
                "UPDATE document SET tax_rounding = :rounding, issuer_snapshot = :snapshot "
                "WHERE id = :id"
            ),
            {"rounding": entity.tax_rounding, "snapshot": snapshot, "id": document_id},
        )


def downgrade():
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_column("issuer_snapshot")
        batch_op.drop_column("tax_rounding")
