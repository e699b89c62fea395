"""Test controls of the Zoho sandbox: what a person does in Zoho Invoice's screens.

A payment is recorded as Zoho records a customer payment against an invoice: it adds
to ``payment_made``, lowers ``balance``, sets ``last_payment_date`` and makes the
invoice ``partially_paid`` or ``paid``; more than the balance is refused, and so is a
payment on a void invoice. Our reference is Zoho's ``reference_number``.
"""

from __future__ import annotations

from decimal import Decimal

from flask import g

from ..common import TAX_RATES, ApiError, due_of, neutral_lines, parse_date, payment_of, plain
from ..common import today as sandbox_today
from .documents import create_document, fill
from .model import ORG_ID, TAXES, document_json, zoho_time


def _line_items(raw) -> list[dict]:
    items = []
    for line in neutral_lines(raw):
        percent = TAX_RATES[line["tax_rate"]][0]
        tax = next(t for t in TAXES if t["tax_percentage"] == percent)
        items.append(
            {
                "name": line["name"],
                "rate": plain(line["unit_price"]),
                "quantity": plain(line["quantity"]),
                "tax_id": tax["tax_id"],
            }
        )
    return items


def _invoice(sb, doc_id: str) -> dict:
    invoice = sb.state["invoices"].get(doc_id)
    if invoice is None:
        raise ApiError(404, f"no invoice {doc_id}")
    g.zoho_org = invoice["_org"]  # the routes' helpers read the organisation from g
    return invoice


def record_payment(sb, doc_id: str, values: dict) -> dict:
    with sb.store.write():
        invoice = _invoice(sb, doc_id)
        if invoice["status"] == "void":
            raise ApiError(400, "Payments cannot be recorded for a void invoice.")
        total, made = Decimal(invoice["total"]), Decimal(invoice.get("payment_made", "0"))
        amount, day = payment_of(values, total - made)
        made += amount
        invoice.update(
            payment_made=str(made),
            balance=str(total - made),
            status="paid" if made >= total else "partially_paid",
            last_payment_date=day.isoformat(),
            last_modified_time=zoho_time(),
        )
        return document_json(invoice)


def edit_invoice(sb, doc_id: str, values: dict) -> dict:
    with sb.store.write():
        invoice = _invoice(sb, doc_id)
        change = {}
        if values.get("customer_id"):
            change["customer_id"] = str(values["customer_id"])
        if "lines" in values:
            change["line_items"] = _line_items(values["lines"])
        fill(sb, "invoices", invoice, change)  # totals and balance follow the lines
        made = Decimal(invoice.get("payment_made", "0"))
        if made > 0 and invoice["status"] in ("paid", "partially_paid"):
            paid = made >= Decimal(invoice["total"])
            invoice["status"] = "paid" if paid else "partially_paid"
        return document_json(invoice)


def create_invoice(sb, values: dict) -> dict:
    g.zoho_org = str(values.get("organization_id") or ORG_ID)
    issued = parse_date(values.get("issue_date") or sandbox_today().isoformat(), "issue_date")
    body = {
        "customer_id": str(values.get("customer_id") or ""),
        "date": issued.isoformat(),
        "due_date": due_of(values, issued).isoformat(),
        "is_inclusive_tax": False,
        "line_items": _line_items(values.get("lines")),
        "reference_number": str(values.get("reference") or ""),
        "notes": str(values.get("title") or ""),
    }
    if values.get("number"):
        body["invoice_number"] = str(values["number"])
    return document_json(create_document(sb, "invoices", body))
