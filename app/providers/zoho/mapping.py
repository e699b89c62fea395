"""Our records → Zoho Invoice JSON, and Zoho invoices → our words.

A company becomes a Zoho *contact* (customer); Zoho has no customer-code field but
keeps ``contact_name`` unique per organisation, so that name is how a contact made by
an earlier, interrupted attempt is found again. Taxes are Zoho records: each line names
one by ``tax_id``, chosen from the organisation's taxes by percentage.

Tax: Zoho computes it on the total of each tax across the invoice, not per item ("the
total tax liable is calculated on the final invoice amount ... split up with respect to
the different tax groups", https://www.zoho.com/ae/billing/kb/items/tax-calculated.md,
the same text for Zoho Inventory https://www.zoho.com/en-sg/inventory/kb/invoice/invoice-tax.md),
rounded to the currency's precision (nearest unit). Its documentation offers no rounding
mode (down/up) per request or per organisation, so an issuer who rounds down or up can
only be matched when rounding to nearest gives the same tax (checked before sending, see
app/services/sync/agreement.py). Whether rates include tax is an organisation preference
("Do you sell your items at rates inclusive of Tax?",
https://www.zoho.com/en-sg/invoice/kb/taxes/tax-preferences.md) that an invoice may choose
when both are allowed: we send ``is_inclusive_tax: false``, our rates being net.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from decimal import Decimal

from ..wire_values import parse_amount, parse_date, parse_id, parse_status, parse_text

PROVIDER = "zoho"

PERCENT_BY_TAX_RATE = {"standard_10": 10, "reduced_8": 8, "exempt": 0}
TAX_RATE_BY_PERCENT = {v: k for k, v in PERCENT_BY_TAX_RATE.items()}
# How Zoho rounds each tax's total (see the module's note): to the nearest unit.
TAX_ROUNDING = "half_up"
# Zoho's invoice statuses → our billing statuses. Zoho's own "overdue" is computed in
# the organisation's zone; ours is decided on Tokyo's date from due_date, so every
# awaiting-payment status maps to "unpaid" first.
STATUS = {
    "draft": "draft",
    "pending_approval": "draft",
    "approved": "draft",
    "sent": "unpaid",
    "viewed": "unpaid",
    "unpaid": "unpaid",
    "overdue": "unpaid",
    "partially_paid": "partially_paid",
    "paid": "paid",
    "void": "void",
}
DUE_DAYS = 30


def contact_body(company) -> dict:
    """The Zoho contact (a business customer) standing for ``company``."""
    address = {
        "zip": company.postal_code,
        "state": company.prefecture,
        "address": company.address1,
        "street2": company.address2,
    }
    address = {k: v for k, v in address.items() if v}
    body = {
        "contact_name": company.name[:200],
        "company_name": company.name[:200],
        "contact_type": "customer",
        "email": company.email,
        "phone": company.phone,
        "billing_address": {**address, "country": "Japan"} if address else None,
    }
    return {k: v for k, v in body.items() if v}


def fingerprint(company) -> str:
    """A hash of what we push for ``company``: push again only when it changed."""
    return hashlib.sha256(json.dumps(contact_body(company), sort_keys=True).encode()).hexdigest()


def company_problems(company) -> list[str]:
    """What Zoho would refuse about ``company`` (keys; callers word them)."""
    return [] if (company.name or "").strip() else ["name"]


def tax_ids(taxes: list[dict]) -> dict[str, str]:
    """Our tax-rate codes → the organisation's tax ids (first tax of each percentage)."""
    found: dict[str, str] = {}
    for code, percent in PERCENT_BY_TAX_RATE.items():
        for tax in taxes:
            if parse_amount(tax.get("tax_percentage"), "tax_percentage", PROVIDER) == percent:
                found[code] = parse_id(tax.get("tax_id"), "tax_id", PROVIDER)
                break
    return found


def line_items(lines, taxes_by_rate: dict[str, str]) -> list[dict]:
    """Zoho line_items; a rate without a Zoho tax raises KeyError (the caller words it)."""
    items = []
    for line in lines:
        item = {
            "name": line.name[:200],
            "rate": line.unit_price,
            "quantity": line.quantity,
            "unit": line.unit,
            "tax_id": taxes_by_rate[line.tax_rate],
        }
        items.append({k: v for k, v in item.items() if v is not None})
    return items


def invoice_body(customer_id: str, outgoing, taxes_by_rate: dict[str, str]) -> dict:
    """The create body of an invoice for an OutgoingDocument: dated its issue date, due
    its due date (else 30 days later), its title as the customer notes (Zoho's create
    body has no subject); our reference goes in reference_number (the client)."""
    due = outgoing.due_date or outgoing.issue_date + timedelta(days=DUE_DAYS)
    body = {
        "customer_id": customer_id,
        "date": outgoing.issue_date.isoformat(),
        "due_date": due.isoformat(),
        "is_inclusive_tax": False,
        "line_items": line_items(outgoing.lines, taxes_by_rate),
    }
    if outgoing.title:
        body["notes"] = outgoing.title[:5000]
    return body


def invoice_status(invoice: dict) -> str:
    """Our billing status for a Zoho invoice (before the overdue rule)."""
    return parse_status(invoice.get("status"), STATUS, "status", PROVIDER)


def contact_id(contact: dict) -> str:
    """A Zoho contact's id as text (Zoho's examples write it as a number)."""
    return parse_id(contact.get("contact_id"), "contact_id", PROVIDER)


def remote_fields(invoice: dict) -> dict:
    """What we keep of a Zoho invoice (its status word is shown as the payment status).

    Zoho writes ids and amounts as JSON numbers in its examples, dates as YYYY-MM-DD
    and unset dates (last_payment_date) and an unset reference_number as " "."""
    return {
        "external_id": parse_id(invoice.get("invoice_id"), "invoice_id", PROVIDER),
        "number": invoice.get("invoice_number"),
        "issue_date": parse_date(invoice.get("date"), "date", PROVIDER),
        "due_date": parse_date(invoice.get("due_date"), "due_date", PROVIDER),
        "total": parse_amount(invoice.get("total"), "total", PROVIDER),
        "payment_status": invoice.get("status"),
        "status": invoice_status(invoice),
        "url": invoice.get("invoice_url"),
        "reference": parse_text(invoice.get("reference_number"), "reference_number", PROVIDER),
        "paid_amount": paid_amount(invoice),
        "paid_on": parse_date(invoice.get("last_payment_date"), "last_payment_date", PROVIDER),
    }


def paid_amount(invoice: dict) -> Decimal | None:
    """What has been paid on a Zoho invoice: ``payment_made`` (a single invoice's
    answer), else total − balance (list pages carry only those two; credits applied
    and write-offs count as settled there). A void invoice's zero balance is no payment."""
    if invoice.get("payment_made") is not None:
        return parse_amount(invoice.get("payment_made"), "payment_made", PROVIDER)
    total = parse_amount(invoice.get("total"), "total", PROVIDER)
    balance = parse_amount(invoice.get("balance"), "balance", PROVIDER)
    if total is None or balance is None or invoice.get("status") == "void":
        return None
    return total - balance


def answered_taxes(invoice: dict) -> dict | None:
    """Tax per our rate code as a Zoho invoice states it (``taxes`` names each tax; the
    line items give its percentage); None when the answer lists no line items."""
    if "line_items" not in invoice or "taxes" not in invoice:
        return None
    percent_by_name = {}
    for line in invoice.get("line_items") or []:
        if line.get("tax_name"):
            percent = parse_amount(line.get("tax_percentage"), "tax_percentage", PROVIDER)
            percent_by_name[line["tax_name"]] = percent
    found: dict[str, Decimal] = {}
    for tax in invoice.get("taxes") or []:
        percent = percent_by_name.get(tax.get("tax_name"))
        whole = percent is not None and percent == percent.to_integral_value()
        code = TAX_RATE_BY_PERCENT.get(int(percent)) if whole else None
        code = code or f"zoho:{tax.get('tax_name')}"
        amount = parse_amount(tax.get("tax_amount"), "tax_amount", PROVIDER) or Decimal(0)
        found[code] = found.get(code, Decimal(0)) + amount
    return found
