"""Stage automation: rules per deal type, and what each rule did to each deal.

A rule says what happens when a deal of its type is won or lost: make a quote or an
invoice (and issue the invoice at its connection once approved), or void the deal's
unsent invoices. ``AutomationEvent`` is the deal's record of every automatic action and
every note (a sent invoice left untouched, a provider that cannot void, a failure with
its Retry). That one automatic document per deal and kind exists is the partial unique
index on Document (``uq_document_automatic``), not this table.
"""

from __future__ import annotations

from flask_appbuilder.models.sqla import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Boolean, CheckConstraint, Column, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship

from app.models.crm import TimestampMixin, _in, utcnow

TRIGGERS = ("won", "lost")
ACTIONS = ("quote", "invoice", "void_unsent")
# Which action a trigger may have: won makes a document, lost voids.
ACTIONS_OF = {"won": ("quote", "invoice"), "lost": ("void_unsent",)}
OUTCOMES = ("created", "issued", "waiting", "existing", "voided", "left", "refused", "failed")


class AutomationRule(TimestampMixin, Model):
    """What happens by itself when a deal of ``deal_type`` (any type when empty) reaches
    ``trigger``; ``connection`` is where an automatic invoice is issued once approved."""

    __tablename__ = "automation_rule"
    __table_args__ = (
        CheckConstraint(_in("trigger", TRIGGERS), name="ck_automation_rule_trigger"),
        CheckConstraint(_in("action", ACTIONS), name="ck_automation_rule_action"),
        CheckConstraint(
            "(trigger = 'won' AND action IN ('quote', 'invoice')) "
            "OR (trigger = 'lost' AND action = 'void_unsent')",
            name="ck_automation_rule_pair",
        ),
        CheckConstraint(
            "connection_id IS NULL OR action = 'invoice'", name="ck_automation_rule_connection"
        ),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    deal_type_id = Column(Integer, ForeignKey("deal_type.id", ondelete="CASCADE"), index=True)
    deal_type = relationship("DealType")
    trigger = Column(String(10), nullable=False)
    action = Column(String(20), nullable=False)
    connection_id = Column(Integer, ForeignKey("connection.id", ondelete="SET NULL"))
    connection = relationship("Connection")
    active = Column(Boolean, nullable=False, default=True)

    def __repr__(self) -> str:
        return self.name


class AutomationEvent(Model):
    """One thing a rule did (or refused, or failed to do) for one deal, and for whom."""

    __tablename__ = "automation_event"
    __table_args__ = (
        CheckConstraint(_in("outcome", OUTCOMES), name="ck_automation_event_outcome"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    deal_id = Column(Integer, ForeignKey("deal.id", ondelete="CASCADE"), nullable=False, index=True)
    deal = relationship("Deal", backref="automation_events")
    rule_id = Column(Integer, ForeignKey("automation_rule.id", ondelete="SET NULL"), index=True)
    rule = relationship("AutomationRule")
    rule_name = Column(String(100), nullable=False)  # kept when the rule is deleted
    stage = Column(String(20), nullable=False)  # the stage that triggered it
    document_id = Column(Integer, ForeignKey("document.id", ondelete="SET NULL"))
    document = relationship("Document")
    on_behalf_of_id = Column(Integer, ForeignKey("ab_user.id"))
    on_behalf_of = relationship(User)
    outcome = Column(String(10), nullable=False)
    note = Column(Text, nullable=False)
    # A failure can be retried (the rule is applied again; once still means once).
    retried_at = Column(DateTime)
