"""Every amount the business models store fits its column, checked at flush for every door.

Runs after the deal and document rules (which compute line amounts, deal amounts and
document totals), so computed values are checked too: a sum of many large lines is
refused in words instead of failing in the database. Amounts in a currency have at most
its minor units; other numbers at most their column's decimals (``services/money.py``).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Numeric, event
from sqlalchemy.orm import Session

from app.models.crm import Deal, DealLine, Product
from app.models.documents import ApprovalRule, Document, DocumentLine, Payment
from app.services.money import check_decimal, check_money

# (model, column) → how to find the currency of an amount in a currency.
CURRENCY_OF = {
    (Deal, "amount"): lambda deal: deal.currency,
    (Payment, "amount"): lambda payment: payment.document.currency if payment.document else None,
    (ApprovalRule, "min_amount"): lambda rule: rule.currency,
    (Document, "subtotal"): lambda document: document.currency,
    (Document, "tax"): lambda document: document.currency,
    (Document, "total"): lambda document: document.currency,
}
LABELS = {
    "amount": _l("The amount"),
    "unit_price": _l("The unit price"),
    "quantity": _l("The quantity"),
    "discount_percent": _l("The discount"),
    "subtotal": _l("The subtotal"),
    "tax": _l("The tax"),
    "total": _l("The total"),
    "min_amount": _l("The rule's minimum amount"),
    "max_discount_percent": _l("The rule's maximum discount"),
}
CHECKED = (Product, Deal, DealLine, Document, DocumentLine, Payment, ApprovalRule)


def check_bounds(obj) -> None:
    """Refuse a numeric value of ``obj`` that its column cannot hold, naming the field."""
    for column in obj.__table__.columns:
        if not isinstance(column.type, Numeric) or column.type.scale is None:
            continue
        value = getattr(obj, column.key, None)
        if value is None:
            continue
        label = str(LABELS.get(column.key, column.key))
        currency_of = CURRENCY_OF.get((type(obj), column.key))
        if currency_of is not None:
            check_money(value, currency_of(obj), column.key, label)
        else:
            limit = 10 ** (column.type.precision - column.type.scale)
            check_decimal(value, column.key, label, places=column.type.scale, limit=limit)


def _before_flush(session: Session, _context, _instances) -> None:
    deleted = set(session.deleted)
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, CHECKED) and obj not in deleted:
            check_bounds(obj)


def install_bounds() -> None:
    """Attach the check to every ORM session, after the rules that compute amounts."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
