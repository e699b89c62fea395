"""Closed vocabularies of the CRM: tax rates, deal stages, currencies.

Codes are stored; labels are translated for display.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l

# Japan's consumption tax: 10 % standard, 8 % reduced (food, newspapers), exempt.
TAX_RATES: dict[str, Decimal] = {
    "standard_10": Decimal("0.10"),
    "reduced_8": Decimal("0.08"),
    "exempt": Decimal("0"),
}
# How an issuer rounds consumption tax (LegalEntity.tax_rounding, copied onto documents).
ROUNDING_LABELS = {"down": _l("Round down"), "half_up": _l("Round half up"), "up": _l("Round up")}
TAX_RATE_LABELS = {
    "standard_10": _l("10%"),
    "reduced_8": _l("8% (reduced)"),
    "exempt": _l("Exempt"),
}

# Stage → default probability (確度); probability follows the stage unless set.
DEAL_STAGES: dict[str, int] = {
    "lead": 10,
    "qualified": 30,
    "proposal": 50,
    "negotiation": 70,
    "won": 100,
    "lost": 0,
}
DEAL_STAGE_LABELS = {
    "lead": _l("Lead"),
    "qualified": _l("Qualified"),
    "proposal": _l("Proposal"),
    "negotiation": _l("Negotiation"),
    "won": _l("Won"),
    "lost": _l("Lost"),
}

CURRENCIES = ("JPY", "USD", "EUR", "GBP", "CNY", "KRW", "SGD", "TWD")


def tax_rate_choices() -> list[tuple[str, str]]:
    """Choices for a tax-rate select box."""
    return [(code, str(label)) for code, label in TAX_RATE_LABELS.items()]


def stage_choices() -> list[tuple[str, str]]:
    """Choices for a deal-stage select box."""
    return [(code, str(label)) for code, label in DEAL_STAGE_LABELS.items()]


def currency_choices() -> list[tuple[str, str]]:
    """Choices for a currency select box."""
    return [(code, code) for code in CURRENCIES]


# A document's (and a deal's summary) billing status, as the list and filters show it.
BILLING_STATUS_LABELS = {
    "none": _l("Not billed"),
    "awaiting_approval": _l("Waiting for approval"),
    "pending": _l("Sending…"),
    "draft": _l("Draft"),
    "sent": _l("Sent"),
    "unpaid": _l("Unpaid"),
    "partially_paid": _l("Partially paid"),
    "paid": _l("Paid"),
    "overdue": _l("Overdue"),
    "void": _l("Void"),
    "deleted": _l("Deleted at provider"),
    "failed": _l("Failed"),
}


def billing_status_choices() -> list[tuple[str, str]]:
    """Choices for a billing-status select box (the deal list's filter)."""
    return [(code, str(label)) for code, label in BILLING_STATUS_LABELS.items()]
