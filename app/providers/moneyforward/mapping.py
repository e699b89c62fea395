"""Our records → Money Forward JSON, and Money Forward statuses → our billing statuses.

Discounts: a line's discount percent is folded into its unit price (rounded to the
yen, half-up) so the invoice shows one line per deal line and its total equals the
deal's net amount; the line's name says "(n% off)" so the reader sees why.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

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


def _yen(value: Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def _plain(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def billing_lines(deal) -> list[dict]:
    """The billing's items: the deal's lines, or its title and contract amount."""
    if deal.lines:
        items = []
        for line in deal.lines:
            discount = Decimal(line.discount_percent or 0)
            price = _yen(Decimal(line.unit_price) * (Decimal(100) - discount) / Decimal(100))
            name = line.name if not discount else f"{line.name} ({_plain(discount)}% off)"
            items.append(
                {
                    "name": name[:200],
                    "price": price,
                    "quantity": Decimal(_plain(line.quantity)),
                    "unit": (line.unit or "")[:20] or None,
                    "excise": EXCISE_BY_TAX_RATE[line.tax_rate],
                }
            )
        return [{k: v for k, v in item.items() if v is not None} for item in items]
    return [
        {
            "name": deal.title[:200],
            "price": _yen(Decimal(deal.amount)),
            "quantity": Decimal(1),
            "excise": "ten_percent",
        }
    ]


def billing_body(deal, department_id: str, today: date | None = None) -> dict:
    """The create body of an invoice-template billing for ``deal``."""
    today = today or date.today()
    return {
        "department_id": department_id,
        "title": deal.title[:200],
        "billing_date": today.isoformat(),
        "due_date": (today + timedelta(days=DUE_DAYS)).isoformat(),
        "items": billing_lines(deal),
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
    """What Money Forward would refuse about ``company`` (English; callers translate)."""
    problems = []
    if not (company.name or "").strip():
        problems.append("name")
    if company.postal_code and not ZIP_RE.match(company.postal_code):
        problems.append("postal_code")
    return problems


def billing_status(billing: dict) -> str:
    """Our billing status for a Money Forward billing (overdue when unpaid past due)."""
    status = STATUS_BY_PAYMENT.get(str(billing.get("payment_status") or "0"), "draft")
    due = billing.get("due_date")
    if status == "unpaid" and due and date.fromisoformat(due[:10]) < date.today():
        return "overdue"
    return status
