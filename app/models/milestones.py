"""B2B milestone contracts: a deal's contract amount split into a deposit, milestones and
a final payment, each invoiced once (issue 17).

A part is invoiced only when its delivery was marked done by one person and approved by
another: ``ck_milestone_four_eyes`` holds that in the schema. ``document_id`` is the
invoice that bills the part; ``uq_milestone_document`` makes one invoice bill one part.
A part whose invoice was voided is billable again (see services/billing/milestones.py).
"""

from __future__ import annotations

from flask_appbuilder.models.sqla import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.models.choices import TAX_RATES
from app.models.crm import MONEY, TimestampMixin, _in

PART_KINDS = ("deposit", "milestone", "final")
# pending → done (delivery marked done) → approved (by another person) → invoiced.
MILESTONE_STATES = ("pending", "done", "approved", "invoiced")


class MilestoneContract(TimestampMixin, Model):
    """The contract of one deal: its amount, currency and tax rate, split into parts."""

    __tablename__ = "milestone_contract"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_milestone_contract_amount"),
        CheckConstraint(_in("tax_rate", TAX_RATES), name="ck_milestone_contract_tax_rate"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    deal_id = Column(Integer, ForeignKey("deal.id"), nullable=False, unique=True)
    deal = relationship("Deal")
    amount = Column(MONEY, nullable=False)  # net of tax, like the deal's amount
    currency = Column(String(3), nullable=False, default="JPY")
    tax_rate = Column(String(20), nullable=False, default="standard_10")
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_by = relationship(User)
    parts = relationship(
        "Milestone",
        back_populates="contract",
        order_by="Milestone.position",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"{self.deal}"


class Milestone(Model):
    """One part of a contract: deposit, milestone or final payment."""

    __tablename__ = "milestone"
    __table_args__ = (
        CheckConstraint(_in("kind", PART_KINDS), name="ck_milestone_kind"),
        CheckConstraint(_in("state", MILESTONE_STATES), name="ck_milestone_state"),
        CheckConstraint("amount >= 0", name="ck_milestone_amount"),
        CheckConstraint(
            "percent IS NULL OR (percent > 0 AND percent <= 100)", name="ck_milestone_percent"
        ),
        CheckConstraint(
            "approved_by_id IS NULL OR (done_by_id IS NOT NULL AND approved_by_id <> done_by_id)",
            name="ck_milestone_four_eyes",
        ),
        CheckConstraint(
            "(state = 'invoiced') = (document_id IS NOT NULL)", name="ck_milestone_invoiced"
        ),
        UniqueConstraint("document_id", name="uq_milestone_document"),
        UniqueConstraint("contract_id", "position", name="uq_milestone_position"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    contract_id = Column(Integer, ForeignKey("milestone_contract.id"), nullable=False, index=True)
    contract = relationship("MilestoneContract", back_populates="parts")
    position = Column(Integer, nullable=False)
    kind = Column(String(10), nullable=False)
    name = Column(String(200), nullable=False)
    percent = Column(Numeric(7, 4))  # as typed, when given as a percentage
    amount = Column(MONEY, nullable=False)  # always the amount billed
    state = Column(String(10), nullable=False, default="pending", index=True)
    done_by_id = Column(Integer, ForeignKey("ab_user.id"))
    done_by = relationship(User, foreign_keys=[done_by_id])
    done_at = Column(DateTime)
    approved_by_id = Column(Integer, ForeignKey("ab_user.id"))
    approved_by = relationship(User, foreign_keys=[approved_by_id])
    approved_at = Column(DateTime)
    document_id = Column(Integer, ForeignKey("document.id"))
    document = relationship("Document")
    invoiced_at = Column(DateTime)

    def __repr__(self) -> str:
        return self.name
