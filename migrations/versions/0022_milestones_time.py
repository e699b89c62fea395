"""billing: milestone contracts (deposit, milestones, final payment) and time entries

Revision ID: 0022_milestones_time
Revises: 0024_left
Create Date: 2026-12-02 17:40:00

"Billed once" is a fact of the schema: a milestone's invoice is unique
(uq_milestone_document) and set exactly when the part is invoiced
(ck_milestone_invoiced); the approver of a delivery is not who marked it done
(ck_milestone_four_eyes); a time entry is billed only when approved
(ck_time_entry_billed) and never decided by its own person (ck_time_entry_four_eyes).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0022_milestones_time"
down_revision = "0024_left"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(18, 4)


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    op.create_table(
        "milestone_contract",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("deal_id", sa.Integer(), sa.ForeignKey("deal.id"), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("tax_rate", sa.String(20), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("ab_user.id")),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_milestone_contract_amount"),
        sa.CheckConstraint(
            _in("tax_rate", ("standard_10", "reduced_8", "exempt")),
            name="ck_milestone_contract_tax_rate",
        ),
        sa.UniqueConstraint("deal_id"),
    )
    op.create_table(
        "milestone",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "contract_id", sa.Integer(), sa.ForeignKey("milestone_contract.id"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("percent", sa.Numeric(7, 4)),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("done_by_id", sa.Integer(), sa.ForeignKey("ab_user.id")),
        sa.Column("done_at", sa.DateTime()),
        sa.Column("approved_by_id", sa.Integer(), sa.ForeignKey("ab_user.id")),
        sa.Column("approved_at", sa.DateTime()),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("document.id")),
        sa.Column("invoiced_at", sa.DateTime()),
        sa.CheckConstraint(_in("kind", ("deposit", "milestone", "final")), name="ck_milestone_kind"),
        sa.CheckConstraint(
            _in("state", ("pending", "done", "approved", "invoiced")), name="ck_milestone_state"
        ),
        sa.CheckConstraint("amount >= 0", name="ck_milestone_amount"),
        sa.CheckConstraint(
            "percent IS NULL OR (percent > 0 AND percent <= 100)", name="ck_milestone_percent"
        ),
        sa.CheckConstraint(
            "approved_by_id IS NULL OR (done_by_id IS NOT NULL AND approved_by_id <> done_by_id)",
            name="ck_milestone_four_eyes",
        ),
        sa.CheckConstraint(
            "(state = 'invoiced') = (document_id IS NOT NULL)", name="ck_milestone_invoiced"
        ),
        sa.UniqueConstraint("document_id", name="uq_milestone_document"),
        sa.UniqueConstraint("contract_id", "position", name="uq_milestone_position"),
    )
    op.create_index("ix_milestone_contract_id", "milestone", ["contract_id"])
    op.create_index("ix_milestone_state", "milestone", ["state"])
    op.create_table(
        "time_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("ab_user.id"), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(6, 2), nullable=False),
        sa.Column("rate", MONEY, nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("deal_id", sa.Integer(), sa.ForeignKey("deal.id"), nullable=False),
        sa.Column("company_id", sa.Integer(), sa.ForeignKey("company.id"), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("ab_user.id")),
        sa.Column("decided_by_id", sa.Integer(), sa.ForeignKey("ab_user.id")),
        sa.Column("decided_at", sa.DateTime()),
        sa.Column("reject_reason", sa.String(500)),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("document.id")),
        sa.Column("billed_at", sa.DateTime()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            _in("state", ("pending", "approved", "rejected")), name="ck_time_entry_state"
        ),
        sa.CheckConstraint("hours > 0 AND hours <= 24", name="ck_time_entry_hours"),
        sa.CheckConstraint("rate >= 0", name="ck_time_entry_rate"),
        sa.CheckConstraint(
            "document_id IS NULL OR state = 'approved'", name="ck_time_entry_billed"
        ),
        sa.CheckConstraint(
            "decided_by_id IS NULL OR decided_by_id <> user_id", name="ck_time_entry_four_eyes"
        ),
    )
    for column in ("user_id", "work_date", "deal_id", "company_id", "state", "document_id"):
        op.create_index(f"ix_time_entry_{column}", "time_entry", [column])


def downgrade():
    op.drop_table("time_entry")
    op.drop_table("milestone")
    op.drop_table("milestone_contract")
