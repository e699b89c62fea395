"""A deal's billing status, summarised from its documents at every connection."""

from __future__ import annotations

# Most relevant first: what a back-office person must act on comes before the rest.
PRIORITY = (
    "overdue",
    "failed",
    "unpaid",
    "partially_paid",
    "sent",
    "pending",
    "draft",
    "paid",
    "void",
    "deleted",
)


def deal_billing_status(deal) -> str:
    """The summary status: the most relevant of its documents' statuses, or "none"."""
    statuses = {doc.billing_status for doc in getattr(deal, "external_documents", []) or []}
    if not statuses:
        return "none"
    for status in PRIORITY:
        if status in statuses:
            return status
    return "none"


def refresh_deal_status(deal) -> str:
    """Recompute and store ``deal.billing_status``; returns it (caller commits)."""
    deal.billing_status = deal_billing_status(deal)
    return deal.billing_status
