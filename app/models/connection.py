"""Connections to invoicing providers: credentials, tokens (encrypted), sync settings."""

from __future__ import annotations

from flask_appbuilder.models.sqla import Model
from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import relationship

from app.models.crm import TimestampMixin
from app.models.types import EncryptedText
from app.provider_keys import PROVIDER_KEYS

CONNECTION_STATUSES = ("new", "connected", "paused", "disabled", "error")

connection_deal_type = Table(
    "connection_deal_type",
    Model.metadata,
    Column(
        "connection_id", Integer, ForeignKey("connection.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "deal_type_id", Integer, ForeignKey("deal_type.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Connection(TimestampMixin, Model):
    """One OAuth2 connection to one provider account (several may exist at once)."""

    __tablename__ = "connection"
    __table_args__ = (
        CheckConstraint(
            "provider IN (" + ", ".join(f"'{key}'" for key in PROVIDER_KEYS) + ")",
            name="ck_connection_provider",
        ),
        CheckConstraint(
            "status IN ('new', 'connected', 'paused', 'disabled', 'error')",
            name="ck_connection_status",
        ),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    provider = Column(String(20), nullable=False)
    name = Column(String(100), nullable=False, unique=True)
    status = Column(String(20), nullable=False, default="new")
    client_id = Column(String(200), nullable=False)
    client_secret = Column(EncryptedText)
    scopes = Column(String(300), nullable=False, default="")
    data_centre = Column(String(10))  # Zoho: com, jp, eu …
    organization_id = Column(String(50))  # Zoho organization_id, freee company_id
    base_currency = Column(String(3), nullable=False, default="JPY")
    # The legal entity whose documents go to this provider account (0020_entities): a
    # document of another entity is refused (app/services/sync/issuing.check_document).
    legal_entity_id = Column(
        Integer, ForeignKey("legal_entity.id", ondelete="SET NULL"), index=True
    )
    legal_entity = relationship("LegalEntity")
    api_base_url = Column(String(300), nullable=False)
    authorize_url = Column(String(300), nullable=False)
    token_url = Column(String(300), nullable=False)
    # OAuth tokens, encrypted; token_version counts rotations (optimistic check).
    access_token = Column(EncryptedText)
    refresh_token = Column(EncryptedText)
    token_expires_at = Column(DateTime)
    token_version = Column(Integer, nullable=False, default=0)
    connected_at = Column(DateTime)
    # Hash of the pending OAuth `state` and when it was issued (10-minute life).
    oauth_state_hash = Column(String(64))
    oauth_state_issued_at = Column(DateTime)
    last_error = Column(Text)
    # High-water mark of status pulls: the next pull asks for what changed since.
    statuses_pulled_until = Column(DateTime)

    deal_types = relationship("DealType", secondary=connection_deal_type)

    def __repr__(self) -> str:
        return self.name
