"""Our records → Money Forward JSON, and Money Forward billings → our words.

Lines arrive provider-neutral (name, net unit price, quantity, our tax-rate code; see
app/services/sync/lines.py); here they become Money Forward items with its ``excise``
values. Statuses: 入金ステータス (codes or labels) → our billing statuses; whether an
unpaid billing is overdue is decided by the sync layer (Tokyo's date), not here.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, timedelta
from decimal import Decimal

EXCISE_BY_TAX_RATE = {
    "standard_10": "ten_percent",
    "reduced_8": "eight_percent_as_reduced_tax_rate",
    "exempt": "untaxable",
}
# payment_status codes and labels (未設定/未入金/入金済み) → our billing statuses.
STATUS_BY_PAYMENT = {
    "0": "draft",
    "1": "unpaid",
    "2": "paid",
    "未設定": "draft",
    "未入金": "unpaid",
    "入金済み": "paid",
    "未払い": "unpaid",
    "振込済み": "paid",
}
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


def billing_body(title: str, lines, department_id: str, today: date) -> dict:
    """The create body of an invoice-template billing dated ``today`` (Tokyo)."""
    return {
        "department_id": department_id,
        "title": title[:200],
        "billing_date": today.isoformat(),
        "due_date": (today + timedelta(days=DUE_DAYS)).isoformat(),
        "items": billing_lines(lines),
    }


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
    """Our billing status for a Money Forward billing (before the overdue rule)."""
    return STATUS_BY_PAYMENT.get(str(billing.get("payment_status") or "0"), "draft")


def _day(value) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def remote_fields(billing: dict) -> dict:
    """What we keep of a billing: id, number, billing date (our issue date), due date,
    total, the provider's payment status word, our status and its link."""
    total = billing.get("total_price")
    return {
        "external_id": billing["id"],
        "number": billing.get("billing_number"),
        "issue_date": _day(billing.get("billing_date")),
        "due_date": _day(billing.get("due_date")),
        "total": Decimal(str(total)) if total is not None else None,
        "payment_status": billing.get("payment_status"),
        "status": billing_status(billing),
        "url": billing.get("pdf_url"),
    }
