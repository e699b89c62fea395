"""Our records → Money Forward JSON, and Money Forward billings → our words.

Lines arrive provider-neutral (name, net unit price, quantity, our tax-rate code; see
app/services/sync/lines.py); here they become Money Forward items with its ``excise``
values. Money Forward rounds line amounts and consumption tax with the office's 請求書設定
(BillingConfig ``rounding`` 明細行ごとの端数処理 and ``rounding_consumption_tax`` 消費税の端数処理,
round_down/round_up/round_off), which a billing only reports in its ``config``: the create
request has no field for it (Money Forward Invoice API v3.6.0, schemas BillingConfig and
Billing; https://github.com/toolchainjp/mf-invoice-mcp-server document.yaml, whose guide
is https://biz.moneyforward.com/support/invoice/guide/api-guide/a03.html). Our lines are
exact (no line rounding happens); the tax per rate answered is compared with Renkei's
after the create (app/services/sync/agreement.py). Statuses: 入金ステータス (codes or
labels) → our billing statuses; whether an unpaid billing is overdue is decided by the
sync layer (Tokyo's date), not here.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

from ..reference_tag import reference_in
from ..wire_values import parse_amount, parse_date, parse_id, parse_status, parse_text

PROVIDER = "moneyforward"

EXCISE_BY_TAX_RATE = {
    "standard_10": "ten_percent",
    "reduced_8": "eight_percent_as_reduced_tax_rate",
    "exempt": "untaxable",
}
# Our rate codes → the billing's per-excise tax fields.
TAX_FIELDS = {code: f"excise_price_of_{excise}" for code, excise in EXCISE_BY_TAX_RATE.items()}
# payment_status codes and labels → our billing statuses: the spec's Billing schema
# describes five codes (0 未設定, 1 未入金, 2 入金済み, 3 未払い, 4 振込済み).
STATUS_BY_PAYMENT = {
    "0": "draft",
    "1": "unpaid",
    "2": "paid",
    "3": "unpaid",
    "4": "paid",
    "未設定": "draft",
    "未入金": "unpaid",
    "入金済み": "paid",
    "未払い": "unpaid",
    "振込済み": "paid",
}
# A quote's 受注ステータス, kept in Money Forward's own words.
ORDER_STATUS = {s: s for s in ("failure", "default", "not_received", "received")}
ZIP_RE = re.compile(r"^\d{3}-?\d{4}$")
DUE_DAYS = 30


def billing_lines(lines) -> list[dict]:
    """Money Forward items for provider-neutral invoice lines."""
    items = []
    for line in lines:
        item = {
            "name": line.name[:200],
            "price": line.unit_price,
            "quantity": line.quantity,
            "unit": (line.unit or "")[:20] or None,
            "excise": EXCISE_BY_TAX_RATE[line.tax_rate],
        }
        items.append({k: v for k, v in item.items() if v is not None})
    return items


def billing_body(outgoing, department_id: str) -> dict:
    """The create body of an invoice-template billing for an OutgoingDocument: its
    billing date and due date (else 30 days later), title and lines; Renkei's number in
    the internal memo (the client appends our reference tag to it)."""
    due = outgoing.due_date or outgoing.issue_date + timedelta(days=DUE_DAYS)
    body = {
        "department_id": department_id,
        "title": outgoing.title[:200],
        "billing_date": outgoing.issue_date.isoformat(),
        "due_date": due.isoformat(),
        "items": billing_lines(outgoing.lines),
    }
    if outgoing.number:
        body["memo"] = f"Renkei {outgoing.number}"[:100]
    return body


def partner_body(company) -> dict:
    """A partner (取引先) with its one department (billing address) for ``company``."""
    return {"code": company.code[:30], "name": company.name[:100], "name_kana": company.kana}


def department_body(company) -> dict:
    """The department that invoices are addressed to (address, phone, email)."""
    body = {
        "zip": company.postal_code,
        "prefecture": company.prefecture,
        "address1": (company.address1 or "")[:80] or None,
        "address2": (company.address2 or "")[:80] or None,
        "tel": company.phone,
        "email": company.email,
    }
    body = {k: v for k, v in body.items() if v}
    return body or {"address1": company.name[:80]}


def fingerprint(company) -> str:
    """A hash of what we push for ``company``: push again only when it changed."""
    data = {"partner": partner_body(company), "department": department_body(company)}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def company_problems(company) -> list[str]:
    """What Money Forward would refuse about ``company`` (keys; callers word them)."""
    problems = []
    if not (company.name or "").strip():
        problems.append("name")
    if company.postal_code and not ZIP_RE.match(company.postal_code):
        problems.append("postal_code")
    return problems


def billing_status(billing: dict) -> str:
    """Our billing status for a Money Forward billing (before the overdue rule); an
    unset payment status is a draft, an unknown one a ProviderDataError."""
    value = billing.get("payment_status")
    if value is None or value == "":
        return "draft"
    return parse_status(value, STATUS_BY_PAYMENT, "payment_status", PROVIDER)


def remote_fields(billing: dict) -> dict:
    """What we keep of a billing: id, number, billing date (our issue date), due date,
    total, the provider's payment status word, our status, its link and our reference
    (the memo's tag).

    Dates come as ``2022/12/09`` (every example of the v3 spec) or ISO; the total as
    a decimal string ('100.0') or a number."""
    return {
        "external_id": parse_id(billing.get("id"), "id", PROVIDER),
        "number": billing.get("billing_number"),
        "issue_date": parse_date(billing.get("billing_date"), "billing_date", PROVIDER),
        "due_date": parse_date(billing.get("due_date"), "due_date", PROVIDER),
        "total": parse_amount(billing.get("total_price"), "total_price", PROVIDER),
        "payment_status": billing.get("payment_status"),
        "status": billing_status(billing),
        "url": billing.get("pdf_url"),
        "reference": reference_in(parse_text(billing.get("memo"), "memo", PROVIDER)),
        # A billing reports 入金ステータス only: no amount paid, no payment date.
        "paid_amount": None,
        "paid_on": None,
    }


def quote_fields(quote: dict) -> dict:
    """What a Money Forward quote says, in our types: id, number, quote date, expiry
    date, total and its order status."""
    return {
        "external_id": parse_id(quote.get("id"), "id", PROVIDER),
        "number": quote.get("quote_number"),
        "issue_date": parse_date(quote.get("quote_date"), "quote_date", PROVIDER),
        "expiry_date": parse_date(quote.get("expired_date"), "expired_date", PROVIDER),
        "total": parse_amount(quote.get("total_price"), "total_price", PROVIDER),
        "order_status": parse_status(
            quote.get("order_status") or "default", ORDER_STATUS, "order_status", PROVIDER
        ),
    }


def partner_ids(partner: dict) -> tuple[str, str | None]:
    """(partner id, first department id) of a Money Forward partner answer."""
    departments = partner.get("departments") or []
    first = (
        parse_id(departments[0].get("id"), "departments[0].id", PROVIDER) if departments else None
    )
    return parse_id(partner.get("id"), "id", PROVIDER), first


def answered_taxes(billing: dict) -> dict | None:
    """Tax per our rate code as a billing states it (excise_price_of_ten_percent …);
    None when the answer has no per-excise fields."""
    if not any(field in billing for field in TAX_FIELDS.values()):
        return None
    found = {}
    for code, field in TAX_FIELDS.items():
        amount = parse_amount(billing.get(field), field, PROVIDER)
        if amount:
            found[code] = amount
    for excise in ("five_percent", "eight_percent"):  # rates Renkei never sends
        amount = parse_amount(billing.get(f"excise_price_of_{excise}"), excise, PROVIDER)
        if amount:
            found[f"moneyforward:{excise}"] = amount
    return found
