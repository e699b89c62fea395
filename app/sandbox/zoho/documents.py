"""Zoho invoices and estimates: create, list, get, update, delete, status, email."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask import g, request

from ..common import ApiError, parse_date, today
from ..pdf import document_pdf, pdf_response
from .api import body, found, listing, mine, next_id, ok
from .model import CURRENCY, OPEN_STATUSES, amounts, document_json, make_lines, zoho_time

# kind → (singular, number prefix, second date, status actions)
KINDS = {
    "invoices": ("invoice", "INV-", "due_date", ("sent", "void", "draft")),
    "estimates": ("estimate", "EST-", "expiry_date", ("sent", "accepted", "declined")),
}
DOC_FIELDS = (
    "reference_number",
    "notes",
    "terms",
    "salesperson_name",
    "payment_terms",
    "is_inclusive_tax",
)


def set_invoice_status(doc: dict, status: str, payment_made=None) -> None:
    """Apply a status and keep balance, payment_made and last_payment_date (today, for
    a payment this makes) consistent with it."""
    total = Decimal(doc["total"])
    before = Decimal(doc.get("payment_made", "0"))
    if status == "paid":
        paid = total
    elif status == "partially_paid":
        paid = Decimal(str(payment_made)) if payment_made else (total / 2).to_integral_value()
    elif status == "void":
        paid = Decimal(0)
    else:
        paid = before
    doc.update(status=status, payment_made=str(paid))
    doc["balance"] = "0" if status == "void" else str(total - paid)
    if paid > before:
        doc["last_payment_date"] = today().isoformat()


def fill(sb, kind: str, doc: dict, values: dict) -> None:
    """Set customer, dates, fields, lines and totals of an invoice or estimate."""
    label, _, second_date, _ = KINDS[kind]
    if "customer_id" in values or "customer_id" not in doc:
        customer = sb.state["contacts"].get(str(values.get("customer_id") or ""))
        if customer is None or customer["_org"] != g.zoho_org:
            raise ApiError(400, "", "customer_id")
        doc.update(customer_id=customer["contact_id"], customer_name=customer["contact_name"])
    day = parse_date(values.get("date") or doc.get("date") or today().isoformat(), "date")
    try:
        terms = int(values.get("payment_terms", doc.get("payment_terms", 0)) or 0)
    except (TypeError, ValueError):
        raise ApiError(400, "", "payment_terms") from None
    second = values.get(second_date) or doc.get(second_date)
    second = parse_date(second, second_date) if second else day + timedelta(days=terms)
    doc.update({k: values[k] for k in DOC_FIELDS if k in values})
    doc.update(date=day.isoformat(), **{second_date: second.isoformat()})
    if "line_items" in values or "line_items" not in doc:
        doc["line_items"] = make_lines(sb.state, values.get("line_items"), lambda: next_id(sb))
        doc.update(amounts(doc["line_items"], bool(doc.get("is_inclusive_tax"))))
    if label == "invoice":
        doc["balance"] = str(Decimal(doc["total"]) - Decimal(doc.get("payment_made", "0")))
    doc["last_modified_time"] = zoho_time()


def create_document(sb, kind: str, values: dict) -> dict:
    """A new draft invoice or estimate of the organisation in ``g.zoho_org``, stored."""
    label, prefix, _, _ = KINDS[kind]
    number = values.get(f"{label}_number")
    if number and any(d[f"{label}_number"] == number for d in mine(sb, kind)):
        raise ApiError(400, f'{label.capitalize()} "{number}" already exists.', code=1001)
    doc = {f"{label}_id": next_id(sb), "status": "draft", "exchange_rate": 1}
    doc.update(currency_code=CURRENCY["currency_code"], currency_symbol=CURRENCY["currency_symbol"])
    doc.update(reference_number="", notes="", terms="", created_time=zoho_time())
    if label == "invoice":
        doc["last_payment_date"] = " "  # Zoho writes an unset date as one space
    doc["_org"] = g.zoho_org
    with sb.store.write():
        fill(sb, kind, doc, values)
        doc[f"{label}_number"] = number or f"{prefix}{sb.next_id(kind + '_number'):06d}"
        doc[f"{label}_url"] = f"{sb.root_url()}/#doc-{doc[f'{label}_id']}"
        if label == "invoice":
            doc.update(payment_made="0", is_emailed=False, balance=doc["total"])
        sb.state[kind][doc[f"{label}_id"]] = doc
    return doc


def _pdf(doc: dict, label: str) -> bytes:
    return document_pdf(
        label.upper(),
        [
            ("Number", doc.get(f"{label}_number")),
            ("Date", doc.get("date")),
            ("Customer", doc.get("customer_name")),
            ("Reference", doc.get("reference_number")),
            ("Total", f"{doc.get('currency_code', '')} {doc.get('total')}"),
        ],
    )


def register(sb, bp) -> None:
    for kind in KINDS:
        _register_kind(sb, bp, kind)


def _register_kind(sb, bp, kind: str) -> None:
    label, _, _, actions = KINDS[kind]
    title = label.capitalize()
    api = f"{sb.api_prefixes[0]}/{kind}"

    def collection():
        if request.method == "GET":
            rows = mine(sb, kind)
            for key in ("customer_id", f"{label}_number", "reference_number"):
                if request.args.get(key):
                    rows = [d for d in rows if d.get(key) == request.args[key]]
            wanted = request.args.get("status")
            if wanted:
                shown = {id(d): document_json(d)["status"] for d in rows}
                allowed = OPEN_STATUSES if wanted == "unpaid" else (wanted,)
                rows = [d for d in rows if shown[id(d)] in allowed]
            data, context = listing(rows, f"{title}s", "created_time")
            page = [document_json(d, summary=True) for d in data]
            return ok(sb, "success", **{kind: page}, page_context=context)
        doc = create_document(sb, kind, body())
        return ok(sb, f"The {label} has been created.", 201, **{label: document_json(doc)})

    def member(doc_id):
        doc = found(sb, kind, doc_id, title)
        with sb.store.write():
            if request.method == "DELETE":
                del sb.state[kind][doc_id]
                return ok(sb, f"The {label} has been deleted.")
            if request.method == "PUT":
                if doc["status"] == "void":
                    raise ApiError(400, f"Voided {label}s cannot be edited.", code=1)
                fill(sb, kind, doc, body())
                message = f"{title} information has been updated."
                return ok(sb, message, **{label: document_json(doc)})
        if request.args.get("accept") == "pdf":  # Zoho's PDF of one document
            return pdf_response(_pdf(doc, label), f"{doc[f'{label}_number']}.pdf")
        return ok(sb, "success", **{label: document_json(doc)})

    def status(doc_id, action):
        doc = found(sb, kind, doc_id, title)
        if action not in actions:
            raise ApiError(404, "Invalid URL Passed", code=5)
        if doc["status"] == action or (action != "draft" and doc["status"] == "void"):
            raise ApiError(400, f"The {label} status cannot be changed to {action}.", code=1)
        if doc["status"] == "paid" and action in ("void", "draft"):
            raise ApiError(400, f"A paid {label} cannot be changed to {action}.", code=1)
        with sb.store.write():
            if kind == "invoices":
                set_invoice_status(doc, action)
            else:
                doc["status"] = action
            doc["last_modified_time"] = zoho_time()
        return ok(sb, f"{title} status has been changed to {action.capitalize()}.")

    def email(doc_id):
        doc = found(sb, kind, doc_id, title)
        values = request.get_json(silent=True) or {}
        contact = sb.state["contacts"].get(doc["customer_id"], {})
        if not values.get("to_mail_ids") and not contact.get("email"):
            raise ApiError(400, "", "to_mail_ids")
        with sb.store.write():
            if doc["status"] == "draft":
                doc["status"] = "sent"
            doc.update(is_emailed=True, last_modified_time=zoho_time())
        return ok(sb, f"Your {label} has been sent.")

    bp.add_url_rule(api, f"zoho_{kind}", collection, methods=["GET", "POST"])
    bp.add_url_rule(f"{api}/<doc_id>", f"zoho_{label}", member, methods=["GET", "PUT", "DELETE"])
    bp.add_url_rule(
        f"{api}/<doc_id>/status/<action>", f"zoho_{label}_status", status, methods=["POST"]
    )
    bp.add_url_rule(f"{api}/<doc_id>/email", f"zoho_{label}_email", email, methods=["POST"])
