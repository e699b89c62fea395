"""Time & materials: hours a person worked on a project (a deal), approved by a manager,
then invoiced by period and project, each approved entry once (issue 17).

The schema holds what must never happen: an entry billed while not approved
(``ck_time_entry_billed``), decided by its own person (``ck_time_entry_four_eyes``).
Billing sets ``document_id`` by a compare-and-set UPDATE under the entry's row lock, so
two runs cannot both bill it; an entry whose invoice was voided is billable again.
"""

from __future__ import annotations

from flask_appbuilder.models.sqla import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
)
from sqlalchemy.orm import relationship

from app.models.crm import MONEY, TimestampMixin, _in

TIME_STATES = ("pending", "approved", "rejected")


class TimeEntry(TimestampMixin, Model):
    """Hours of one person on one day for a project, at a rate."""

    __tablename__ = "time_entry"
    __table_args__ = (
        CheckConstraint(_in("state", TIME_STATES), name="ck_time_entry_state"),
        CheckConstraint("hours > 0 AND hours <= 24", name="ck_time_entry_hours"),
        CheckConstraint("rate >= 0", name="ck_time_entry_rate"),
        CheckConstraint("document_id IS NULL OR state = 'approved'", name="ck_time_entry_billed"),
        CheckConstraint(
            "decided_by_id IS NULL OR decided_by_id <> user_id", name="ck_time_entry_four_eyes"
        ),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    user = relationship(User, foreign_keys=[user_id])
    work_date = Column(Date, nullable=False, index=True)
    hours = Column(Numeric(6, 2), nullable=False)
    rate = Column(MONEY, nullable=False)
    description = Column(String(500), nullable=False)
    deal_id = Column(Integer, ForeignKey("deal.id"), nullable=False, index=True)
    deal = relationship("Deal")
    company_id = Column(Integer, ForeignKey("company.id"), nullable=False, index=True)
    company = relationship("Company")
    currency = Column(String(3), nullable=False, default="JPY")
    state = Column(String(10), nullable=False, default="pending", index=True)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_by = relationship(User, foreign_keys=[created_by_id])
    decided_by_id = Column(Integer, ForeignKey("ab_user.id"))
    decided_by = relationship(User, foreign_keys=[decided_by_id])
    decided_at = Column(DateTime)
    reject_reason = Column(String(500))
    document_id = Column(Integer, ForeignKey("document.id"), index=True)
    document = relationship("Document")
    billed_at = Column(DateTime)

    def __repr__(self) -> str:
        return f"{self.work_date} {self.user} {self.hours}h"
