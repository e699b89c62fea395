"""Exchange rates entered by finance staff: one rate per currency pair and date.

A document in another currency than its issuer's base currency takes the latest rate of
its pair on or before its issue date when it leaves draft (app/services/exchange_rates.py);
the rate is copied onto the document then, so later entries here change nothing issued.
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
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.models.choices import CURRENCIES
from app.models.crm import _in, utcnow

# 1 unit of the source currency = ``rate`` units of the target currency (USD→JPY 150.25).
RATE = Numeric(18, 8)


class ExchangeRate(Model):
    """How many ``to_currency`` one ``from_currency`` is worth from ``valid_on``."""

    __tablename__ = "exchange_rate"
    __table_args__ = (
        UniqueConstraint("from_currency", "to_currency", "valid_on", name="uq_exchange_rate_day"),
        CheckConstraint(_in("from_currency", CURRENCIES), name="ck_exchange_rate_from"),
        CheckConstraint(_in("to_currency", CURRENCIES), name="ck_exchange_rate_to"),
        CheckConstraint("from_currency <> to_currency", name="ck_exchange_rate_pair"),
        CheckConstraint("rate > 0", name="ck_exchange_rate_positive"),
        {"extend_existing": True},
    )
    id = Column(Integer, primary_key=True)
    from_currency = Column(String(3), nullable=False)
    to_currency = Column(String(3), nullable=False)
    valid_on = Column(Date, nullable=False, index=True)
    rate = Column(RATE, nullable=False)
    entered_by_id = Column(Integer, ForeignKey("ab_user.id"))
    entered_by = relationship(User)
    created_at = Column(DateTime, default=utcnow, nullable=False)

    def __repr__(self) -> str:
        return f"{self.from_currency}/{self.to_currency} {self.valid_on} {self.rate}"
