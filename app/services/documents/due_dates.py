"""A document's default due date: the customer's payment terms, else the issuer's, else 30
days — for the kinds that have a due date (invoices)."""

from __future__ import annotations

import datetime as dt

from app.models.document_kinds import KINDS

# Default payment term when neither the customer nor the issuer has one: 30 days, as
# most Japanese B2B invoices.
DEFAULT_DUE_DAYS = 30


def payment_terms_days(company, entity) -> int:
    """Days from issue to due date: the customer's terms, else the issuer's, else 30."""
    for holder in (company, entity):
        days = getattr(holder, "payment_terms_days", None)
        if days is not None:
            return int(days)
    return DEFAULT_DUE_DAYS


def default_due_date(kind: str, issue_date: dt.date, company, entity) -> dt.date | None:
    """The due date a new ``kind`` issued on ``issue_date`` gets (None: the kind has none)."""
    if kind not in KINDS or not KINDS[kind].due_date or issue_date is None:
        return None
    return issue_date + dt.timedelta(days=payment_terms_days(company, entity))
