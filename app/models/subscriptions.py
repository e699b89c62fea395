"""SaaS subscriptions: a customer's plan lines billed in advance per period, usage billed
in arrears, mid-period changes prorated by day, and the billed-period table.

``uq_subscription_period`` on (subscription_id, period_start) is what makes "each period
is invoiced once" hold for two schedulers, retries, a restart or N runs at once: the
second insert fails whatever the code above it checked (app/services/billing/).
"""

from __future__ import annotations

from decimal import Decimal

from flask_appbuilder.models.sqla import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.models.choices import CURRENCIES, TAX_RATES
from app.models.crm import MONEY, QUANTITY, TimestampMixin, _in, utcnow

INTERVALS = ("monthly", "annual")
RENEWALS = ("automatic", "decision")
CHANGE_KINDS = ("price", "quantity", "line", "cancel")


class Subscription(TimestampMixin, Model):
    """One customer's subscription: billed every ``interval`` in advance from ``start_date``
    (periods anchored on its day), until ``ends_on`` (exclusive) when cancelled, and — when
    renewal is by decision — not past ``renewed_until`` (exclusive) unless renewed."""

    __tablename__ = "subscription"
    __table_args__ = (
        CheckConstraint(_in("interval", INTERVALS), name="ck_subscription_interval"),
        CheckConstraint(_in("renewal", RENEWALS), name="ck_subscription_renewal"),
        CheckConstraint(_in("currency", CURRENCIES), name="ck_subscription_currency"),
        CheckConstraint("notice_days >= 0 AND notice_days <= 365", name="ck_subscription_notice"),
        CheckConstraint("term_months >= 1 AND term_months <= 120", name="ck_subscription_term"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)
    company_id = Column(Integer, ForeignKey("company.id"), nullable=False, index=True)
    company = relationship("Company")
    legal_entity_id = Column(Integer, ForeignKey("legal_entity.id"))
    legal_entity = relationship("LegalEntity")
    deal_id = Column(Integer, ForeignKey("deal.id"), index=True)
    deal = relationship("Deal")
    currency = Column(String(3), nullable=False, default="JPY")
    interval = Column(String(10), nullable=False, default="monthly")
    start_date = Column(Date, nullable=False)
    renewal = Column(String(10), nullable=False, default="automatic")
    notice_days = Column(Integer, nullable=False, default=30)
    term_months = Column(Integer, nullable=False, default=12)
    # Renewal by decision: no period starting on or after this day is billed until renewed.
    renewed_until = Column(Date)
    # Cancelled: no period starting on or after this day is billed.
    ends_on = Column(Date)
    cancelled_on = Column(Date)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_by = relationship(User)

    lines = relationship(
        "SubscriptionLine",
        back_populates="subscription",
        cascade="all, delete-orphan",
        order_by="SubscriptionLine.position",
    )

    def __repr__(self) -> str:
        return self.name


class SubscriptionLine(Model):
    """A plan line: what is billed each period (the values in effect now; earlier values
    are in the line's changes)."""

    __tablename__ = "subscription_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_subscription_line_quantity"),
        CheckConstraint("unit_price >= 0", name="ck_subscription_line_unit_price"),
        CheckConstraint(_in("tax_rate", TAX_RATES), name="ck_subscription_line_tax_rate"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    subscription_id = Column(
        Integer, ForeignKey("subscription.id", ondelete="CASCADE"), nullable=False, index=True
    )
    subscription = relationship("Subscription", back_populates="lines")
    position = Column(Integer, nullable=False, default=0)
    product_id = Column(Integer, ForeignKey("product.id"))
    product = relationship("Product")
    name = Column(String(200), nullable=False)
    unit_price = Column(MONEY, nullable=False)
    quantity = Column(QUANTITY, nullable=False, default=Decimal(1))
    tax_rate = Column(String(20), nullable=False, default="standard_10")
    # A line added after the start is billed from this day (prorated in its first period).
    starts_on = Column(Date)

    def __repr__(self) -> str:
        return self.name


class SubscriptionChange(Model):
    """A price, quantity, new-line or cancellation change effective on a day of a period,
    with its prorated amount (positive: to bill; negative: to credit) until settled on a
    later invoice or a credit note (``document``)."""

    __tablename__ = "subscription_change"
    __table_args__ = (
        CheckConstraint(_in("kind", CHANGE_KINDS), name="ck_subscription_change_kind"),
        CheckConstraint(_in("tax_rate", TAX_RATES), name="ck_subscription_change_tax_rate"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    subscription_id = Column(
        Integer, ForeignKey("subscription.id", ondelete="CASCADE"), nullable=False, index=True
    )
    subscription = relationship("Subscription")
    line_id = Column(Integer, ForeignKey("subscription_line.id", ondelete="SET NULL"))
    line = relationship("SubscriptionLine")
    kind = Column(String(10), nullable=False)
    name = Column(String(200), nullable=False)
    tax_rate = Column(String(20), nullable=False, default="standard_10")
    effective_on = Column(Date, nullable=False)
    period_start = Column(Date, nullable=False)
    period_end = Column(Date, nullable=False)
    old_unit_price = Column(MONEY)
    new_unit_price = Column(MONEY)
    old_quantity = Column(QUANTITY)
    new_quantity = Column(QUANTITY)
    amount = Column(MONEY, nullable=False)
    settled_at = Column(DateTime)
    document_id = Column(Integer, ForeignKey("document.id"), index=True)
    document = relationship("Document")
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_by = relationship(User)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class SubscriptionUsage(Model):
    """A usage row (imported by CSV or the API), billed in arrears on the invoice of the
    first period starting after its day (``document``)."""

    __tablename__ = "subscription_usage"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_subscription_usage_quantity"),
        CheckConstraint("unit_price >= 0", name="ck_subscription_usage_unit_price"),
        CheckConstraint(_in("tax_rate", TAX_RATES), name="ck_subscription_usage_tax_rate"),
        # A row is a metric's total of one day: imported twice, it is refused.
        UniqueConstraint("subscription_id", "metric", "used_on", name="uq_subscription_usage_day"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    subscription_id = Column(
        Integer, ForeignKey("subscription.id", ondelete="CASCADE"), nullable=False, index=True
    )
    subscription = relationship("Subscription")
    metric = Column(String(100), nullable=False)
    used_on = Column(Date, nullable=False)
    quantity = Column(QUANTITY, nullable=False)
    unit_price = Column(MONEY, nullable=False)
    tax_rate = Column(String(20), nullable=False, default="standard_10")
    document_id = Column(Integer, ForeignKey("document.id"), index=True)
    document = relationship("Document")
    imported_by_id = Column(Integer, ForeignKey("ab_user.id"))
    imported_at = Column(DateTime, nullable=False, default=utcnow)


class SubscriptionPeriod(Model):
    """A billed period: one row per (subscription, period start), pointing at its invoice."""

    __tablename__ = "subscription_period"
    __table_args__ = (
        UniqueConstraint("subscription_id", "period_start", name="uq_subscription_period"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    subscription_id = Column(
        Integer, ForeignKey("subscription.id", ondelete="CASCADE"), nullable=False, index=True
    )
    subscription = relationship("Subscription")
    period_start = Column(Date, nullable=False)
    period_end = Column(Date, nullable=False)
    document_id = Column(Integer, ForeignKey("document.id"), index=True)
    document = relationship("Document")
    billed_on = Column(Date, nullable=False)  # the Tokyo day of the run
    created_at = Column(DateTime, nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return f"{self.subscription} {self.period_start}"
