"""CRM records: companies (取引先), contacts, products (商品), deal types, deals (案件)."""

from __future__ import annotations

import datetime as dt
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
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import declared_attr, relationship

from app.models.choices import DEAL_STAGES, TAX_RATES

MONEY = Numeric(18, 4)
# Payment terms in days (customer, issuer): none, or 0..365.
PAYMENT_TERMS = (
    "payment_terms_days IS NULL OR (payment_terms_days >= 0 AND payment_terms_days <= 365)"
)
QUANTITY = Numeric(14, 4)
PERCENT = Numeric(5, 2)


def utcnow() -> dt.datetime:
    """Now in UTC, naive, as every timestamp is stored."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _in(column: str, values) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class TimestampMixin:
    """Created/updated times in UTC."""

    created_at = Column(DateTime, default=utcnow, nullable=False)
    updated_at = Column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)


class Company(TimestampMixin, Model):
    """A customer company (取引先)."""

    __tablename__ = "company"
    __table_args__ = (
        CheckConstraint(PAYMENT_TERMS, name="ck_company_payment_terms"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    code = Column(String(30), unique=True, nullable=False)
    name = Column(String(200), nullable=False, index=True)
    kana = Column(String(200))
    postal_code = Column(String(10))
    prefecture = Column(String(20))
    address1 = Column(String(200))
    address2 = Column(String(200))
    phone = Column(String(30))
    email = Column(String(254))
    # 適格請求書発行事業者登録番号: T + 13 digits, check digit validated in services.
    invoice_registration_number = Column(String(14))
    notes = Column(Text)
    # Up to 10 fields a provider has and Renkei lacks, added from the customer-sync
    # field mapping page: JSON {"key": "value"} (0014).
    custom_fields = Column(Text)
    # Days from issue to due date on this customer's invoices (else the issuer's, else 30).
    payment_terms_days = Column(Integer)

    contacts = relationship("Contact", back_populates="company")
    deals = relationship("Deal", back_populates="company")

    def __repr__(self) -> str:
        return self.name


class Contact(TimestampMixin, Model):
    """A person at a company."""

    __tablename__ = "contact"
    id = Column(Integer, primary_key=True)
    company_id = Column(Integer, ForeignKey("company.id"), nullable=False, index=True)
    company = relationship("Company", back_populates="contacts")
    name = Column(String(100), nullable=False)
    kana = Column(String(100))
    department = Column(String(100))
    title = Column(String(100))
    email = Column(String(254))
    phone = Column(String(30))

    def __repr__(self) -> str:
        return self.name


class Product(TimestampMixin, Model):
    """A product or service in the product master (商品マスター)."""

    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("unit_price >= 0", name="ck_product_unit_price"),
        CheckConstraint(_in("tax_rate", TAX_RATES), name="ck_product_tax_rate"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    code = Column(String(30), unique=True, nullable=False)
    name = Column(String(200), nullable=False, index=True)
    unit = Column(String(20), nullable=False, default="式")
    unit_price = Column(MONEY, nullable=False, default=Decimal(0))
    currency = Column(String(3), nullable=False, default="JPY")
    tax_rate = Column(String(20), nullable=False, default="standard_10")
    description = Column(Text)

    def __repr__(self) -> str:
        return self.name


class DealType(Model):
    """A kind of deal (案件タイプ); connections choose which types they sync."""

    __tablename__ = "deal_type"
    id = Column(Integer, primary_key=True)
    code = Column(String(30), unique=True, nullable=False)
    name = Column(String(100), nullable=False)
    description = Column(Text)

    def __repr__(self) -> str:
        return self.name


class Deal(TimestampMixin, Model):
    """A deal (案件). Its amount is derived from its lines when it has any."""

    __tablename__ = "deal"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="ck_deal_amount"),
        CheckConstraint("probability BETWEEN 0 AND 100", name="ck_deal_probability"),
        CheckConstraint(_in("stage", DEAL_STAGES), name="ck_deal_stage"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False, index=True)
    company_id = Column(Integer, ForeignKey("company.id"), nullable=False, index=True)
    company = relationship("Company", back_populates="deals")
    contact_id = Column(Integer, ForeignKey("contact.id"))
    contact = relationship("Contact")
    deal_type_id = Column(Integer, ForeignKey("deal_type.id"), index=True)
    deal_type = relationship("DealType")
    stage = Column(String(20), nullable=False, default="lead", index=True)
    probability = Column(Integer, nullable=False, default=10)
    owner_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    owner = relationship(User)
    currency = Column(String(3), nullable=False, default="JPY")
    # Contract amount (net of tax). Typed when the deal has no lines; otherwise
    # the sum of its lines, kept by app.services.deals on every flush.
    amount = Column(MONEY, nullable=False, default=Decimal(0), index=True)  # list sorted by amount
    expected_close_date = Column(Date, index=True)
    description = Column(Text)
    # Summary of its documents' billing statuses, kept by the sync services so the
    # list can show, filter and export it ("none" until a document exists).
    billing_status = Column(String(20), nullable=False, default="none", index=True)

    lines = relationship(
        "DealLine",
        back_populates="deal",
        cascade="all, delete-orphan",
        order_by="DealLine.position",
    )

    def __repr__(self) -> str:
        return self.title


class LineItemMixin:
    """The columns every line item has (deal lines, document lines); rules in services/lines."""

    position = Column(Integer, nullable=False, default=0)

    @declared_attr
    def product_id(cls):
        return Column(Integer, ForeignKey("product.id"))

    @declared_attr
    def product(cls):
        return relationship("Product")

    name = Column(String(200), nullable=False)
    unit = Column(String(20))
    unit_price = Column(MONEY, nullable=False)
    quantity = Column(QUANTITY, nullable=False, default=Decimal(1))
    discount_percent = Column(PERCENT, nullable=False, default=Decimal(0))
    tax_rate = Column(String(20), nullable=False, default="standard_10")
    amount = Column(MONEY, nullable=False, default=Decimal(0))

    def __repr__(self) -> str:
        return self.name


class DealLine(LineItemMixin, Model):
    """One line item of a deal: a product or a free name, price, quantity, discount."""

    __tablename__ = "deal_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_deal_line_quantity"),
        CheckConstraint("unit_price >= 0", name="ck_deal_line_unit_price"),
        CheckConstraint(
            "discount_percent >= 0 AND discount_percent <= 100",
            name="ck_deal_line_discount",
        ),
        CheckConstraint(_in("tax_rate", TAX_RATES), name="ck_deal_line_tax_rate"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    deal_id = Column(Integer, ForeignKey("deal.id"), nullable=False, index=True)
    deal = relationship("Deal", back_populates="lines")
