"""A deal's billing status, as the sync services ask for it: the one rule lives in
app/services/billing_status.py (derived from the deal's invoices and their links)."""

from __future__ import annotations

from app.extensions import db
from app.services import billing_status


def deal_billing_status(deal) -> str:
    """The deal's status by the rule, read from what is flushed."""
    db.session.flush()
    return billing_status.compute(db.session, [deal.id])[deal.id]


def refresh_deal_status(deal) -> str:
    """Kept for callers: the status is recomputed on every flush; this flushes and reads it."""
    if deal is None:
        return "none"
    db.session.flush()
    return deal_billing_status(deal)
