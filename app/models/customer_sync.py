"""Customers and products kept in step with a connection's provider (issue 16).

``CustomerSyncSetting`` holds the five choices of the settings page (modules, extent,
duplicates, which records, field mapping) plus pause and schedule, one row per
connection. ``ContactLink`` and ``ProductLink`` are to contacts and products what
``PartnerLink`` is to companies. Each run of the sync is a ``SyncRun`` of kind
``customer_sync`` (counts created/updated/failed, and ``skipped`` here); every record
it touched has one ``SyncOutcome`` row — the import history.
"""

from __future__ import annotations

from flask_appbuilder.models.sqla import Model
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.models.crm import TimestampMixin, utcnow

MODULES = ("companies", "contacts", "companies_contacts")
EXTENTS = ("to_provider", "from_provider", "both")
DUPLICATES = ("skip", "overwrite")
RECORD_KINDS = ("company", "contact", "product")
OUTCOMES = ("created", "updated", "skipped", "failed", "conflict")
DIRECTIONS = ("to_provider", "from_provider")
MAX_CUSTOM_FIELDS = 10


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class CustomerSyncSetting(TimestampMixin, Model):
    """How one connection keeps customers and products in step with its provider.

    ``*_filter`` are Flask-AppBuilder list filter arguments as JSON (``{"_flt_0_name":
    "商事"}``: what the list's search form puts in the URL); ``field_map`` a JSON list of
    ``{"ours": "phone", "theirs": "tel"}`` rows, ``ours`` "custom:<key>" for one of the
    company's custom fields (at most 10).
    """

    __tablename__ = "customer_sync_setting"
    __table_args__ = (
        UniqueConstraint("connection_id", name="uq_customer_sync_setting_connection"),
        CheckConstraint(_in("modules", MODULES), name="ck_customer_sync_modules"),
        CheckConstraint(_in("extent", EXTENTS), name="ck_customer_sync_extent"),
        CheckConstraint(_in("duplicates", DUPLICATES), name="ck_customer_sync_duplicates"),
        CheckConstraint(_in("product_extent", EXTENTS), name="ck_customer_sync_product_extent"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    connection_id = Column(Integer, ForeignKey("connection.id", ondelete="CASCADE"), nullable=False)
    connection = relationship("Connection")
    modules = Column(String(20), nullable=False, default="companies")
    include_orphan_contacts = Column(Boolean, nullable=False, default=False)
    extent = Column(String(20), nullable=False, default="to_provider")
    duplicates = Column(String(10), nullable=False, default="skip")
    company_filter = Column(Text)  # JSON: FAB filter args of the company list
    contact_filter = Column(Text)  # JSON: FAB filter args of the contact list
    product_filter = Column(Text)  # JSON: FAB filter args of the product list
    field_map = Column(Text)  # JSON list of {"ours": …, "theirs": …}
    sync_products = Column(Boolean, nullable=False, default=False)
    product_extent = Column(String(20), nullable=False, default="to_provider")
    paused = Column(Boolean, nullable=False, default=False)
    schedule_minutes = Column(Integer)  # None: no schedule
    run_after_change = Column(Boolean, nullable=False, default=False)
    last_run_at = Column(DateTime)
    # High-water mark of pulls: the provider's own updated-at of the newest record read.
    pulled_until = Column(DateTime)


class ContactLink(TimestampMixin, Model):
    """Which provider record stands for one of our contacts (a Money Forward department,
    a Zoho contact person, a freee partner for a contact without company)."""

    __tablename__ = "contact_link"
    __table_args__ = (
        UniqueConstraint("connection_id", "contact_id", name="uq_contact_link"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    connection_id = Column(Integer, ForeignKey("connection.id", ondelete="CASCADE"), nullable=False)
    contact_id = Column(Integer, ForeignKey("contact.id", ondelete="CASCADE"), nullable=False)
    contact = relationship("Contact")
    external_id = Column(String(64), nullable=False)
    parent_external_id = Column(String(64))  # the partner/contact the person belongs to
    pushed_fingerprint = Column(String(64))
    provider_updated_at = Column(DateTime)
    last_pushed_at = Column(DateTime, default=utcnow)


class ProductLink(TimestampMixin, Model):
    """Which provider item stands for one of our products."""

    __tablename__ = "product_link"
    __table_args__ = (
        UniqueConstraint("connection_id", "product_id", name="uq_product_link"),
        UniqueConstraint("connection_id", "external_id", name="uq_product_link_external"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    connection_id = Column(Integer, ForeignKey("connection.id", ondelete="CASCADE"), nullable=False)
    product_id = Column(Integer, ForeignKey("product.id", ondelete="CASCADE"), nullable=False)
    product = relationship("Product")
    external_id = Column(String(64), nullable=False)
    pushed_fingerprint = Column(String(64))
    provider_updated_at = Column(DateTime)
    last_pushed_at = Column(DateTime, default=utcnow)


class SyncOutcome(Model):
    """What one customer-sync run did to one record (the import history's rows).

    ``loser`` keeps, as JSON, the side that lost a both-ways conflict."""

    __tablename__ = "sync_outcome"
    __table_args__ = (
        CheckConstraint(_in("record_kind", RECORD_KINDS), name="ck_sync_outcome_kind"),
        CheckConstraint(_in("outcome", OUTCOMES), name="ck_sync_outcome_outcome"),
        CheckConstraint(_in("direction", DIRECTIONS), name="ck_sync_outcome_direction"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    run_id = Column(
        Integer, ForeignKey("sync_run.id", ondelete="CASCADE"), nullable=False, index=True
    )
    run = relationship("SyncRun", backref="outcomes", foreign_keys=[run_id])
    record_kind = Column(String(10), nullable=False)
    record_id = Column(Integer)  # ours (company/contact/product id), once there is one
    external_id = Column(String(64))
    label = Column(String(200))  # the record's name when it ran
    direction = Column(String(20), nullable=False)
    outcome = Column(String(10), nullable=False)
    message = Column(Text)
    loser = Column(Text)
    retried_run_id = Column(Integer, ForeignKey("sync_run.id", ondelete="SET NULL"))
    created_at = Column(DateTime, nullable=False, default=utcnow)
