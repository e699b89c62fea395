"""Test controls of the freee sandbox: what a person does in freee's screens.

freee's invoice API shows a payment only as 決済ステータス (``payment_status``): a
payment recorded here is kept privately (``_paid``, ``_payments``) and the invoice
shows ``settled`` once paid in full, ``unsettled`` before — the iv API reports no
amount paid and no payment date (its ``payment_date`` is the due date, 期日). Our
reference rides in ``memo`` (社内メモ) as ``[renkei:<reference>]``.
"""

from __future__ import annotations

from decimal import Decimal

from ..common import (
    TAX_RATES,
    ApiError,
    due_of,
    json_number,
    neutral_lines,
    parse_date,
    payment_of,
    plain,
)
from ..common import today as sandbox_today
from .documents import address_to, create_document, touch
from .model import COMPANY_ID, KINDS, apply_amounts, make_lines, shape

INVOICES = KINDS["invoices"]
SHOWN = "#/components/schemas/InvoiceShowResponse_invoice"


def _lines(raw) -> list[dict]:
    lines = []
    for line in neutral_lines(raw):
        rate, reduced = TAX_RATES[line["tax_rate"]]
        lines.append(
            {
                "type": "item",
                "description": line["name"],
                "quantity": json_number(line["quantity"]),
                "unit_price": plain(line["unit_price"]),
                "tax_rate": rate,
                "reduced_tax_rate": reduced,
            }
        )
    return lines


def _invoice(sb, doc_id: str) -> dict:
    doc = sb.state["documents"].get(str(doc_id))
    if doc is None or doc["_kind"] != INVOICES.path:
        raise ApiError(404, f"no invoice {doc_id}")
    return doc


def _partner(sb, company: int, customer_id) -> dict:
    for partner in sb.state["partners"].values():
        if str(partner["id"]) == str(customer_id) and partner["company_id"] == company:
            return partner
    raise ApiError(400, f"no partner {customer_id!r}", "customer_id")


def record_payment(sb, doc_id: str, values: dict) -> dict:
    with sb.store.write():
        doc = _invoice(sb, doc_id)
        if doc["cancel_status"] == "canceled":
            raise ApiError(400, "取消済みの請求書です。")
        total, paid = Decimal(doc["total_amount"]), Decimal(doc.get("_paid", "0"))
        amount, day = payment_of(values, total - paid)
        paid += amount
        doc["_paid"] = str(paid)
        doc.setdefault("_payments", []).append({"amount": str(amount), "date": str(day)})
        doc["payment_status"] = "settled" if paid >= total else "unsettled"
        touch(doc)
        return shape(doc, SHOWN)


def edit_invoice(sb, doc_id: str, values: dict) -> dict:
    with sb.store.write():
        doc = _invoice(sb, doc_id)
        if values.get("customer_id"):
            address_to(doc, _partner(sb, doc["company_id"], values["customer_id"]))
        if "lines" in values:
            numbered = lambda: sb.next_id("id", 1000)  # noqa: E731
            doc["lines"] = make_lines(
                _lines(values["lines"]), doc["line_amount_fraction"], numbered
            )
            apply_amounts(doc)
            paid = Decimal(doc.get("_paid", "0"))
            if paid > 0:  # what was paid may now settle it, or no longer
                settled = paid >= Decimal(doc["total_amount"])
                doc["payment_status"] = "settled" if settled else "unsettled"
        touch(doc)
        return shape(doc, SHOWN)


def create_invoice(sb, values: dict) -> dict:
    issued = parse_date(values.get("issue_date") or sandbox_today().isoformat(), "issue_date")
    company = int(values.get("company_id") or COMPANY_ID)
    body = {
        "company_id": company,
        "partner_id": _partner(sb, company, values.get("customer_id"))["id"],
        "partner_title": "御中",
        "billing_date": issued.isoformat(),
        "payment_date": due_of(values, issued).isoformat(),
        "tax_entry_method": "out",
        "tax_fraction": "omit",
        "withholding_tax_entry_method": "out",
        "lines": _lines(values.get("lines")),
    }
    if values.get("title"):
        body["subject"] = str(values["title"])
    if values.get("reference"):
        body["memo"] = f"[renkei:{values['reference']}]"
    if values.get("number") and sb.settings["numbering"] != "auto":
        body["invoice_number"] = str(values["number"])
    return shape(create_document(sb, INVOICES, body), SHOWN)
