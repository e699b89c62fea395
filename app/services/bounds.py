"""What the business models store stays within sense, checked at flush for every door.

- Every amount fits its column. Runs after the deal and document rules (which compute
  line amounts, deal amounts and document totals), so computed values are checked too:
  a sum of many large lines is refused in words instead of failing in the database.
  Amounts in a currency have at most its minor units; other numbers at most their
  column's decimals (``services/money.py``).
- Single-line text (names, recipients, subjects, codes: every String column) holds no
  control character: a CR/LF in a recipient's name would forge email headers or break
  a PDF's layout. Multi-line text (Text columns: notes, terms, bodies) may.
- A payment's date lies between 2000-01-01 and one year after today (Tokyo).
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Numeric, String, Text, event
from sqlalchemy.orm import Session

from app.models.crm import Company, Contact, Deal, DealLine, DealType, Product
from app.models.documents import ApprovalRule, Document, DocumentLine, LegalEntity, Payment
from app.models.publishing import DocumentTemplate
from app.models.subscriptions import Subscription, SubscriptionLine, SubscriptionUsage
from app.services.errors import InvalidInput
from app.services.money import check_decimal, check_money

EARLIEST_PAYMENT = dt.date(2000, 1, 1)

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
    "name": _l("The name"),
    "recipient_name": _l("The recipient"),
    "recipient_email": _l("The recipient's email"),
    "subject": _l("The subject"),
}
CHECKED = (
    Company,
    Contact,
    Product,
    DealType,
    Deal,
    DealLine,
    LegalEntity,
    Document,
    DocumentLine,
    Payment,
    ApprovalRule,
    DocumentTemplate,
    Subscription,
    SubscriptionLine,
    SubscriptionUsage,
)
# Code points that break a single line: C0/C1 controls, and Unicode's line/paragraph marks.
_LINE_BREAKING = {"Cc", "Zl", "Zp"}


def check_single_line(value: str, field: str, label: str) -> None:
    """Refuse control characters (CR, LF, tab, NUL …) in a one-line text."""
    if any(unicodedata.category(ch) in _LINE_BREAKING for ch in value):
        raise InvalidInput(
            _("%(field)s must be one line of text, without control characters.", field=label),
            field=field,
        )


def check_payment_date(paid_on: dt.date) -> None:
    """A payment's date: from 2000-01-01 to one year after today (Tokyo)."""
    from app.services.documents.lifecycle import today_tokyo

    latest = today_tokyo() + dt.timedelta(days=365)
    if not EARLIEST_PAYMENT <= paid_on <= latest:
        raise InvalidInput(
            _(
                "The payment date must be between %(first)s and %(last)s.",
                first=EARLIEST_PAYMENT.isoformat(),
                last=latest.isoformat(),
            ),
            field="paid_on",
        )


def check_bounds(obj) -> None:
    """Refuse a value of ``obj`` that its column cannot hold or that breaks a line."""
    if isinstance(obj, Payment) and obj.paid_on is not None:
        check_payment_date(obj.paid_on)
    for column in obj.__table__.columns:
        value = getattr(obj, column.key, None)
        if value is None:
            continue
        if isinstance(column.type, String) and not isinstance(column.type, Text):
            if isinstance(value, str):
                check_single_line(value, column.key, str(LABELS.get(column.key, column.key)))
            continue
        if not isinstance(column.type, Numeric) or column.type.scale is None:
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
