"""Our records → freee JSON, and freee invoices → our words.

A company becomes a freee 取引先 (partner, an accounting-API master) carrying our
customer code in ``code``, which is how an interrupted attempt finds it again. Invoices
are 税別 (tax added on top, ``tax_entry_method: out``) with tax rounded once per rate
the way the issuer rounds it, sent as the request's ``tax_fraction`` (消費税端数の計算方法:
omit 切り捨て, round_up 切り上げ, round 四捨五入 — InvoiceRequest in freee's schema,
https://github.com/freee/freee-api-schema/blob/master/iv/open-api-3/api-schema.yml); a
freee invoice has no draft stage, so unsettled means unpaid.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from decimal import Decimal

from ..reference_tag import reference_in
from ..wire_values import parse_amount, parse_date, parse_id, parse_status, parse_text

PROVIDER = "freee"
# 決済ステータス: only "settled" means the money came in; a canceled or failed payment
# leaves the invoice unpaid (cancel_status says whether the invoice itself is void).
PAYMENT_STATUS = {
    "settled": "paid",
    "unsettled": "unpaid",
    "unprocessed": "unpaid",
    "failed": "unpaid",
    "canceled": "unpaid",
}
CANCEL_STATUS = {"canceled": "void", "uncanceled": "open"}

# freee's prefecture_code is the index in this tuple (0 = 北海道); -1 means not set.
PREFECTURES = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県",
    "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",
    "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府",
    "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県",
    "鹿児島県", "沖縄県",
)  # fmt: skip
TAX_FRACTION = {"down": "omit", "half_up": "round", "up": "round_up"}
# The per-rate tax fields of an invoice answer → our rate codes.
TAX_FIELDS = {
    "standard_10": "amount_tax_10",
    "reduced_8": "amount_tax_8_reduced",
    "exempt": "amount_tax_0",
}
TAX_RATE = {"standard_10": (10, False), "reduced_8": (8, True), "exempt": (0, False)}
ZIP_RE = re.compile(r"^\d{3}-?\d{4}$")
DUE_DAYS = 30


def prefecture_code(name: str | None) -> int:
    """freee's code for a prefecture name ("東京都" or "東京"); -1 when unknown."""
    name = (name or "").strip()
    for code, full in enumerate(PREFECTURES):
        if name and (name == full or name == full.rstrip("都府県")):
            return code
    return -1


def _zip(value: str | None) -> str | None:
    if not value:
        return None
    digits = value.replace("-", "")
    return f"{digits[:3]}-{digits[3:]}"


def partner_body(company) -> dict:
    """The freee partner standing for ``company`` (code = our customer code)."""
    body = {
        "code": company.code[:30],
        "name": company.name[:255],
        "long_name": company.name[:255],
        "name_kana": company.kana,
        "phone": company.phone,
        "email": company.email,
        "address_attributes": {
            "zipcode": _zip(company.postal_code),
            "prefecture_code": prefecture_code(company.prefecture),
            "street_name1": company.address1,
            "street_name2": company.address2,
        },
    }
    return {k: v for k, v in body.items() if v is not None}


def fingerprint(company) -> str:
    """A hash of what we push for ``company``: push again only when it changed."""
    return hashlib.sha256(json.dumps(partner_body(company), sort_keys=True).encode()).hexdigest()


def company_problems(company) -> list[str]:
    """What freee would refuse about ``company`` (keys; callers word them)."""
    problems = []
    if not (company.name or "").strip():
        problems.append("name")
    if company.postal_code and not ZIP_RE.match(company.postal_code):
        problems.append("postal_code")
    return problems


def _plain(value: Decimal) -> str:
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "") else text


def invoice_lines(lines) -> list[dict]:
    """freee item lines: description, quantity, unit price (a string, as the spec has it)."""
    result = []
    for line in lines:
        rate, reduced = TAX_RATE[line.tax_rate]
        item = {
            "type": "item",
            "description": line.name[:255],
            "quantity": line.quantity,
            "unit_price": _plain(line.unit_price),
            "tax_rate": rate,
            "reduced_tax_rate": reduced,
            "unit": line.unit,
        }
        result.append({k: v for k, v in item.items() if v is not None})
    return result


def invoice_body(partner_id: int, outgoing) -> dict:
    """The create body of an invoice for an OutgoingDocument: billed on its issue date,
    due on its due date (else 30 days later), its title as 件名, its exact lines; Renkei's
    number in the internal memo (社内メモ; the client appends our reference tag)."""
    lines = outgoing.lines
    due = outgoing.due_date or outgoing.issue_date + timedelta(days=DUE_DAYS)
    body = {
        "partner_id": int(partner_id),
        "partner_title": "御中",
        "subject": outgoing.title[:255],
        "billing_date": outgoing.issue_date.isoformat(),
        "payment_date": due.isoformat(),
        "tax_entry_method": "out",
        "tax_fraction": TAX_FRACTION[getattr(lines, "rounding", "down")],
        "withholding_tax_entry_method": "out",
        "lines": invoice_lines(lines),
    }
    if outgoing.number:
        body["memo"] = f"Renkei {outgoing.number}"[:100]
    return body


def invoice_status(invoice: dict) -> str:
    """Our billing status for a freee invoice (before the overdue rule)."""
    cancel = invoice.get("cancel_status") or "uncanceled"
    if parse_status(cancel, CANCEL_STATUS, "cancel_status", PROVIDER) == "void":
        return "void"
    payment = invoice.get("payment_status") or "unsettled"
    return parse_status(payment, PAYMENT_STATUS, "payment_status", PROVIDER)


def partner_id(partner: dict) -> str:
    """A freee partner's id as text (an integer at freee)."""
    return parse_id(partner.get("id"), "id", PROVIDER)


def remote_fields(invoice: dict) -> dict:
    """What we keep of a freee invoice: billing date is our issue date, payment date due,
    our reference from the memo's tag."""
    word = "canceled" if invoice.get("cancel_status") == "canceled" else None
    return {
        "external_id": parse_id(invoice.get("id"), "id", PROVIDER),
        "number": invoice.get("invoice_number"),
        "issue_date": parse_date(invoice.get("billing_date"), "billing_date", PROVIDER),
        "due_date": parse_date(invoice.get("payment_date"), "payment_date", PROVIDER),
        "total": parse_amount(invoice.get("total_amount"), "total_amount", PROVIDER),
        "payment_status": word or invoice.get("payment_status"),
        "status": invoice_status(invoice),
        "url": invoice.get("report_url"),
        "reference": reference_in(parse_text(invoice.get("memo"), "memo", PROVIDER)),
        # The iv API reports 決済ステータス only (settled/unsettled …); payment_date is the
        # due date (期日), not a payment's. No amount paid, no payment date.
        "paid_amount": None,
        "paid_on": None,
    }


def answered_taxes(invoice: dict) -> dict | None:
    """Tax per our rate code as a freee invoice answer states it (amount_tax_10 …); None
    when the answer has no per-rate fields (list pages)."""
    if not any(field in invoice for field in TAX_FIELDS.values()):
        return None
    found = {}
    for code, field in TAX_FIELDS.items():
        amount = parse_amount(invoice.get(field), field, PROVIDER)
        if amount:
            found[code] = amount
    other = parse_amount(invoice.get("amount_tax_8"), "amount_tax_8", PROVIDER)
    if other:  # 8 % not reduced: a rate Renkei never sends
        found["freee:8"] = other
    return found
