"""several legal entities and currencies: numbering per entity, rates, connections' entity

Revision ID: 0020_entities
Revises: 0022_milestones_time
Create Date: 2026-12-02 17:40:00

- legal_entity.number_prefix: the first entity (lowest id) keeps "" so every number
  already issued stays as it is; any other existing entity gets "E<id>-" (editable until
  it numbers a document under it). Unique.
- document_counter: one row per (legal entity, kind). The existing per-kind rows become
  the first entity's, so it continues where it was (INV-000124 after INV-000123); other
  entities' counters start at 0 when they first number a kind (rules._number).
- document: the exchange rate frozen when it left draft, its date, the base currency and
  the total in it (NULL for documents issued before: they are shown without a rate).
- connection.legal_entity_id: existing connections belong to the first entity.
- exchange_rate: finance staff's rates per currency pair and date.
- document_template.legal_entity_id: a template of one entity, used before the global
  one for that entity's documents (NULL: every entity — all existing versions).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0020_entities"
down_revision = "0022_milestones_time"
branch_labels = None
depends_on = None

CURRENCIES = ("JPY", "USD", "EUR", "GBP", "CNY", "KRW", "SGD", "TWD")
KINDS = ("quote", "invoice", "delivery_note", "credit_note")


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _first_entity(bind):
    return bind.execute(sa.text("SELECT MIN(id) FROM legal_entity")).scalar()


def upgrade():
    bind = op.get_bind()
    first = _first_entity(bind)

    with op.batch_alter_table("legal_entity", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("number_prefix", sa.String(length=10), nullable=False, server_default="")
        )
    if first is not None:
        bind.execute(
            sa.text(
                "UPDATE legal_entity SET number_prefix = 'E' || CAST(id AS VARCHAR(8)) || '-' "
                "WHERE id <> :first"
            ),
            {"first": first},
        )
    with op.batch_alter_table("legal_entity", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_legal_entity_number_prefix", ["number_prefix"])

    # The counter per kind becomes a counter per (entity, kind): a new table, the rows
    # copied to the first entity (no entity yet: no document was numbered, start empty).
    op.create_table(
        "document_counter_entity",
        sa.Column("legal_entity_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["legal_entity_id"], ["legal_entity.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("legal_entity_id", "kind"),
    )
    if first is not None:
        bind.execute(
            sa.text(
                "INSERT INTO document_counter_entity (legal_entity_id, kind, last_number) "
                "SELECT :first, kind, last_number FROM document_counter"
            ),
            {"first": first},
        )
    op.drop_table("document_counter")
    op.rename_table("document_counter_entity", "document_counter")

    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("base_currency", sa.String(length=3), nullable=True))
        batch_op.add_column(
            sa.Column("exchange_rate", sa.Numeric(precision=18, scale=8), nullable=True)
        )
        batch_op.add_column(sa.Column("exchange_rate_date", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("base_total", sa.Numeric(precision=18, scale=4), nullable=True)
        )

    with op.batch_alter_table("connection", schema=None) as batch_op:
        batch_op.add_column(sa.Column("legal_entity_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_connection_legal_entity_id"), ["legal_entity_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_connection_legal_entity",
            "legal_entity",
            ["legal_entity_id"],
            ["id"],
            ondelete="SET NULL",
        )
    if first is not None:
        bind.execute(sa.text("UPDATE connection SET legal_entity_id = :first"), {"first": first})

    op.create_table(
        "exchange_rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_currency", sa.String(length=3), nullable=False),
        sa.Column("to_currency", sa.String(length=3), nullable=False),
        sa.Column("valid_on", sa.Date(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=18, scale=8), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(_in("from_currency", CURRENCIES), name="ck_exchange_rate_from"),
        sa.CheckConstraint(_in("to_currency", CURRENCIES), name="ck_exchange_rate_to"),
        sa.CheckConstraint("from_currency <> to_currency", name="ck_exchange_rate_pair"),
        sa.CheckConstraint("rate > 0", name="ck_exchange_rate_positive"),
        sa.ForeignKeyConstraint(["entered_by_id"], ["ab_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "from_currency", "to_currency", "valid_on", name="uq_exchange_rate_day"
        ),
    )
    op.create_index("ix_exchange_rate_valid_on", "exchange_rate", ["valid_on"], unique=False)

    # A template may belong to one legal entity (NULL: every entity, as all are today).
    with op.batch_alter_table("document_template", schema=None) as batch_op:
        batch_op.add_column(sa.Column("legal_entity_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_document_template_legal_entity_id"), ["legal_entity_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_document_template_legal_entity",
            "legal_entity",
            ["legal_entity_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade():
    bind = op.get_bind()
    first = _first_entity(bind)
    # An entity's own versions stay (PDFs and emails point at them) but are no longer
    # used: without the column they would pass for global ones.
    bind.execute(
        sa.text(
            "UPDATE document_template SET state = 'rejected' "
            "WHERE legal_entity_id IS NOT NULL AND state <> 'rejected'"
        )
    )
    with op.batch_alter_table("document_template", schema=None) as batch_op:
        batch_op.drop_constraint("fk_document_template_legal_entity", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_document_template_legal_entity_id"))
        batch_op.drop_column("legal_entity_id")
    op.drop_index("ix_exchange_rate_valid_on", table_name="exchange_rate")
    op.drop_table("exchange_rate")
    with op.batch_alter_table("connection", schema=None) as batch_op:
        batch_op.drop_constraint("fk_connection_legal_entity", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_connection_legal_entity_id"))
        batch_op.drop_column("legal_entity_id")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_column("base_total")
        batch_op.drop_column("exchange_rate_date")
        batch_op.drop_column("exchange_rate")
        batch_op.drop_column("base_currency")

    # Back to one counter per kind: the first entity's (its numbers have no prefix, so
    # they are the ones the per-kind counter continues), one row for every kind.
    op.create_table(
        "document_counter_kind",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind"),
    )
    for kind in KINDS:
        last = 0
        if first is not None:
            last = (
                bind.execute(
                    sa.text(
                        "SELECT last_number FROM document_counter "
                        "WHERE legal_entity_id = :first AND kind = :kind"
                    ),
                    {"first": first, "kind": kind},
                ).scalar()
                or 0
            )
        bind.execute(
            sa.text("INSERT INTO document_counter_kind (kind, last_number) VALUES (:k, :n)"),
            {"k": kind, "n": last},
        )
    op.drop_table("document_counter")
    op.rename_table("document_counter_kind", "document_counter")

    with op.batch_alter_table("legal_entity", schema=None) as batch_op:
        batch_op.drop_constraint("uq_legal_entity_number_prefix", type_="unique")
        batch_op.drop_column("number_prefix")
