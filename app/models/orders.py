"""Wholesale: sales orders, their shipments, and how each customer is billed for them.

An order's lines say what was ordered; shipments ship quantities of those lines (partial
shipments allowed); what is not shipped yet is the line's backorder. Each shipment line
is billed once: ``shipment_line.document_id`` is the invoice that bills it now (set under
the order's or the customer's row lock, with ``document_id IS NULL`` in the UPDATE), and
cleared again when that invoice is voided. ``sales_order_line.shipped_quantity`` is kept
under the order's lock and checked by the database (never more than ordered).

A customer is billed per shipment, or by a monthly closing (締め日, 支払サイト) —
``BillingSetting``; one closing per customer and period (``uq_closing_run_period`` over
the runs whose invoice is not void).
"""

from __future__ import annotations

from decimal import Decimal

from flask_appbuilder.models.sqla import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import relationship

from app.models.choices import TAX_RATES
from app.models.crm import MONEY, QUANTITY, TimestampMixin, _in, utcnow

BILLING_MODES = ("per_shipment", "monthly")
CLOSING_DAYS = (5, 10, 15, 20, 25, 31)  # 31: the month's end


class BillingSetting(TimestampMixin, Model):
    """How one customer is billed for what ships: one invoice per shipment, or a monthly
    closing on ``closing_day`` paid ``pay_months`` later on ``pay_day`` (31: month end)."""

    __tablename__ = "billing_setting"
    __table_args__ = (
        CheckConstraint(_in("mode", BILLING_MODES), name="ck_billing_setting_mode"),
        CheckConstraint(
            "closing_day IN (" + ", ".join(map(str, CLOSING_DAYS)) + ")",
            name="ck_billing_setting_closing_day",
        ),
        CheckConstraint("pay_months >= 0 AND pay_months <= 6", name="ck_billing_setting_months"),
        CheckConstraint("pay_day >= 1 AND pay_day <= 31", name="ck_billing_setting_pay_day"),
        UniqueConstraint("company_id", name="uq_billing_setting_company_id"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    company_id = Column(Integer, ForeignKey("company.id", ondelete="CASCADE"), nullable=False)
    company = relationship("Company")
    mode = Column(String(20), nullable=False, default="per_shipment")
    closing_day = Column(Integer, nullable=False, default=31)
    pay_months = Column(Integer, nullable=False, default=1)
    pay_day = Column(Integer, nullable=False, default=31)
    # A monthly customer's orders are in this currency: one closing, one invoice.
    currency = Column(String(3), nullable=False, default="JPY")

    def __repr__(self) -> str:
        return f"{self.company} ({self.mode})"


class SalesOrder(TimestampMixin, Model):
    """A customer's order (受注): lines ordered, shipped in one or more shipments."""

    __tablename__ = "sales_order"
    __table_args__ = (
        UniqueConstraint("number", name="uq_sales_order_number"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    number = Column(String(30))  # SO-000001, given at the first flush
    company_id = Column(Integer, ForeignKey("company.id"), nullable=False, index=True)
    company = relationship("Company")
    order_date = Column(Date, nullable=False, index=True)
    currency = Column(String(3), nullable=False, default="JPY")
    customer_reference = Column(String(100))  # the customer's PO number (注文番号)
    notes = Column(Text)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_by = relationship(User)

    lines = relationship(
        "SalesOrderLine",
        back_populates="order",
        cascade="all, delete-orphan",
        order_by="SalesOrderLine.position",
    )
    shipments = relationship(
        "Shipment", back_populates="order", order_by="Shipment.shipped_on, Shipment.id"
    )

    def __repr__(self) -> str:
        return self.number


class SalesOrderLine(Model):
    """One ordered line: product or name, unit price, quantity, tax rate; with the
    quantity shipped so far (kept under the order's lock, never above the quantity)."""

    __tablename__ = "sales_order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_sales_order_line_quantity"),
        CheckConstraint("unit_price >= 0", name="ck_sales_order_line_unit_price"),
        CheckConstraint(
            "shipped_quantity >= 0 AND shipped_quantity <= quantity",
            name="ck_sales_order_line_shipped",
        ),
        CheckConstraint(_in("tax_rate", TAX_RATES), name="ck_sales_order_line_tax_rate"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    order_id = Column(
        Integer, ForeignKey("sales_order.id", ondelete="CASCADE"), nullable=False, index=True
    )
    order = relationship("SalesOrder", back_populates="lines")
    position = Column(Integer, nullable=False, default=0)
    product_id = Column(Integer, ForeignKey("product.id"))
    product = relationship("Product")
    name = Column(String(200), nullable=False)
    unit = Column(String(20))
    unit_price = Column(MONEY, nullable=False)
    quantity = Column(QUANTITY, nullable=False)
    tax_rate = Column(String(20), nullable=False, default="standard_10")
    shipped_quantity = Column(QUANTITY, nullable=False, default=Decimal(0))

    @property
    def backorder(self) -> Decimal:
        """What is ordered and not shipped yet."""
        return Decimal(self.quantity) - Decimal(self.shipped_quantity or 0)

    def __repr__(self) -> str:
        return self.name


class Shipment(Model):
    """One shipment (出荷) of an order: quantities of its lines, on a day."""

    __tablename__ = "shipment"
    __table_args__ = (
        UniqueConstraint("number", name="uq_shipment_number"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("sales_order.id"), nullable=False, index=True)
    order = relationship("SalesOrder", back_populates="shipments")
    company_id = Column(Integer, ForeignKey("company.id"), nullable=False, index=True)
    company = relationship("Company")
    number = Column(String(40), nullable=False)
    shipped_on = Column(Date, nullable=False, index=True)
    note = Column(Text)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_by = relationship(User)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    lines = relationship("ShipmentLine", back_populates="shipment", order_by="ShipmentLine.id")

    def __repr__(self) -> str:
        return self.number


class ShipmentLine(Model):
    """A quantity of one order line in one shipment; ``document_id`` is the invoice
    that bills it (None: not billed yet, or its invoice was voided)."""

    __tablename__ = "shipment_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_shipment_line_quantity"),
        CheckConstraint(
            "document_id IS NOT NULL OR document_line_id IS NULL",
            name="ck_shipment_line_billed",
        ),
        UniqueConstraint("document_line_id", name="uq_shipment_line_document_line_id"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    shipment_id = Column(Integer, ForeignKey("shipment.id"), nullable=False, index=True)
    shipment = relationship("Shipment", back_populates="lines")
    order_line_id = Column(Integer, ForeignKey("sales_order_line.id"), nullable=False, index=True)
    order_line = relationship("SalesOrderLine")
    quantity = Column(QUANTITY, nullable=False)
    document_id = Column(Integer, ForeignKey("document.id"), index=True)
    document = relationship("Document")
    # The invoice line that bills it: one invoice line bills one shipment line.
    document_line_id = Column(Integer, ForeignKey("document_line.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"{self.shipment} {self.order_line}"


class ClosingRun(Model):
    """One monthly closing of one customer's period (empty when nothing shipped in it).
    ``active`` turns false when its invoice is voided: the period may be closed again."""

    __tablename__ = "closing_run"
    __table_args__ = (
        Index(
            "uq_closing_run_period",
            "company_id",
            "period_end",
            unique=True,
            postgresql_where=text("active"),
            sqlite_where=text("active"),
        ),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    company_id = Column(
        Integer, ForeignKey("company.id", ondelete="CASCADE"), nullable=False, index=True
    )
    company = relationship("Company")
    period_start = Column(Date, nullable=False)
    period_end = Column(Date, nullable=False)
    document_id = Column(Integer, ForeignKey("document.id"), index=True)
    document = relationship("Document")
    active = Column(Boolean, nullable=False, default=True, server_default=text("true"))
    run_by_id = Column(Integer, ForeignKey("ab_user.id"))  # None: the daily job
    run_by = relationship(User)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return f"{self.company} {self.period_start}..{self.period_end}"
