"""Zoho Invoice v3 data: organisation, taxes, line items, totals and JSON shapes.

Amounts are computed with Decimal and answered as JSON numbers rounded to the
currency's precision (JPY: none).

Tax, as Zoho documents it: "the total tax liable is calculated on the final invoice amount
... split up with respect to the different tax groups the invoice items fall under, rather
than the tax calculated on each item" (https://www.zoho.com/ae/billing/kb/items/tax-calculated.md;
the same for Zoho Inventory, https://www.zoho.com/en-sg/inventory/kb/invoice/invoice-tax.md).
So each tax is computed once on the sum of its items and rounded to the currency's
precision, to the nearest unit (half up); Zoho documents no setting that rounds tax down or
up. Rates are exclusive of tax unless the invoice says ``is_inclusive_tax`` (the
organisation's "Do you sell your items at rates inclusive of Tax?" preference,
https://www.zoho.com/en-sg/invoice/kb/taxes/tax-preferences.md): then each tax is the
part of its items' total that is tax, and the sub total is what remains.

Times look like Zoho's: 2024-05-01T10:00:00+0900.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ..common import ApiError, json_number, now, round_to, to_decimal

ORG_ID = "10234695"
CURRENCY = {"currency_code": "JPY", "currency_symbol": "¥", "price_precision": 0}
TAXES = [  # Zoho's tax ids are long numeric strings
    {"tax_id": "460000000000101", "tax_name": "消費税 10%", "tax_percentage": 10},
    {"tax_id": "460000000000102", "tax_name": "軽減税率 8%", "tax_percentage": 8},
    {"tax_id": "460000000000103", "tax_name": "非課税 0%", "tax_percentage": 0},
]
ID_BASE = 460000000001000  # ids are one increasing sequence, like Zoho's
OPEN_STATUSES = ("sent", "viewed", "overdue", "partially_paid")


def zoho_time(moment: datetime | None = None) -> str:
    return (moment or now()).strftime("%Y-%m-%dT%H:%M:%S%z")


def seed() -> dict:
    organization = {
        "organization_id": ORG_ID,
        "name": "Renkei サンドボックス合同会社",
        "contact_name": "連携 太郎",
        "email": "sandbox@renkei.invalid",
        "is_default_org": True,
        "country": "Japan",
        "time_zone": "Asia/Tokyo",
        "language_code": "ja",
        **{k: v for k, v in CURRENCY.items() if k != "price_precision"},
    }
    return {
        "organizations": {ORG_ID: organization},
        "contacts": {},
        "items": {},
        "invoices": {},
        "estimates": {},
    }


def tax_by_id(tax_id: str | None) -> dict | None:
    if not tax_id:
        return None
    for tax in TAXES:
        if tax["tax_id"] == str(tax_id):
            return tax
    raise ApiError(400, "Invalid value passed for tax_id", "tax_id", code=2)


def make_lines(state: dict, raw_lines, next_id) -> list[dict]:
    """Stored line_items from the request (an item's name, rate and tax by default)."""
    if not isinstance(raw_lines, list) or not raw_lines:
        raise ApiError(400, "Invalid value passed for line_items", "line_items", code=2)
    lines = []
    for order, raw in enumerate(raw_lines, start=1):
        if not isinstance(raw, dict):
            raise ApiError(400, "Invalid value passed for line_items", "line_items", code=2)
        item = state["items"].get(str(raw.get("item_id"))) if raw.get("item_id") else None
        if raw.get("item_id") and item is None:
            raise ApiError(400, "Invalid value passed for item_id", "item_id", code=2)
        base = item or {}
        name = raw.get("name") or base.get("name")
        if not name and not raw.get("description"):
            raise ApiError(400, "Invalid value passed for line_items", "line_items.name", code=2)
        rate = to_decimal(raw.get("rate", base.get("rate", 0)), "rate")
        quantity = to_decimal(raw.get("quantity", 1), "quantity")
        tax = tax_by_id(raw.get("tax_id", base.get("tax_id")))
        total = round_to(rate * quantity, "round", CURRENCY["price_precision"])
        lines.append(
            {
                "line_item_id": str(next_id()),
                "item_id": str(raw["item_id"]) if raw.get("item_id") else "",
                "name": name or "",
                "description": raw.get("description", base.get("description", "")),
                "item_order": order,
                "rate": str(rate),
                "quantity": str(quantity),
                "unit": raw.get("unit", base.get("unit", "")),
                "tax_id": tax["tax_id"] if tax else "",
                "tax_name": tax["tax_name"] if tax else "",
                "tax_percentage": tax["tax_percentage"] if tax else 0,
                "item_total": str(total),
            }
        )
    return lines


def amounts(lines: list[dict], inclusive: bool = False) -> dict:
    """sub_total, taxes per tax (rounded once per tax, half up), tax_total and total (as
    strings); with ``inclusive`` the item totals already hold their tax."""
    items_total = sum((Decimal(x["item_total"]) for x in lines), Decimal(0))
    per_tax: dict[str, Decimal] = {}
    for line in lines:
        if line["tax_id"]:
            per_tax[line["tax_id"]] = per_tax.get(line["tax_id"], Decimal(0)) + Decimal(
                line["item_total"]
            )
    taxes = []
    for tax in TAXES:
        if tax["tax_id"] in per_tax:
            percent = Decimal(tax["tax_percentage"])
            divisor = 100 + percent if inclusive else 100
            amount = per_tax[tax["tax_id"]] * percent / divisor
            taxes.append(
                {"tax_name": tax["tax_name"], "tax_amount": str(round_to(amount, "round"))}
            )
    tax_total = sum((Decimal(t["tax_amount"]) for t in taxes), Decimal(0))
    sub_total = items_total - tax_total if inclusive else items_total
    return {
        "sub_total": str(sub_total),
        "tax_total": str(tax_total),
        "total": str(sub_total + tax_total),
        "taxes": taxes,
    }


def _numbers(record: dict, keys) -> dict:
    return {k: json_number(Decimal(record[k])) for k in keys if k in record}


def line_json(line: dict) -> dict:
    return {**line, **_numbers(line, ("rate", "quantity", "item_total"))}


def shown_status(doc: dict) -> str:
    """Zoho reports a sent invoice past its due date as overdue."""
    if (
        doc["status"] in ("sent", "viewed")
        and doc.get("due_date", "9999") < now().date().isoformat()
    ):
        return "overdue"
    return doc["status"]


def document_json(doc: dict, summary: bool = False) -> dict:
    """An invoice or estimate as Zoho answers it (``summary`` for list pages)."""
    data = {k: v for k, v in doc.items() if not k.startswith("_")}
    data.update(_numbers(doc, ("sub_total", "tax_total", "total", "balance", "payment_made")))
    data["status"] = shown_status(doc)
    data["taxes"] = [{**t, **_numbers(t, ("tax_amount",))} for t in doc.get("taxes", [])]
    data["line_items"] = [line_json(x) for x in doc.get("line_items", [])]
    if summary:
        for key in ("line_items", "taxes", "notes", "terms"):
            data.pop(key, None)
    return data


def named_json(record: dict) -> dict:
    """Contacts and items: numbers as JSON numbers."""
    data = {k: v for k, v in record.items() if not k.startswith("_")}
    return {**data, **_numbers(record, ("rate", "outstanding_receivable_amount"))}
