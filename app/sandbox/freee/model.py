"""freee Invoice data: document kinds, line amounts, tax totals and spec-shaped JSON.

A stored document holds every field any of its shapes needs; ``shape`` then keeps
exactly the properties the spec lists for the answer at hand (create/update, show
or index), recursing into lines and template — so the three shapes cannot drift
from the file. Amounts are computed with Decimal; JSON numbers on the way out.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..common import ApiError, json_number, now, round_to, to_decimal
from ..specs import load_spec, schema_at

COMPANY_ID = 2000001
BASE_ID = 1000  # documents, lines and partners share one increasing id sequence


@dataclass(frozen=True)
class Kind:
    path: str  # URL segment and index list key: "invoices"
    key: str  # wrapper key of one document: "invoice"
    schema: str  # schema name stem: "Invoice"
    date: str  # the document date: "billing_date"
    note: str  # the printed note: "invoice_note"
    prefix: str  # automatic numbers: "INV-00001"
    label: str  # for the human page
    payment: tuple[str, ...] = ()  # payment_status values, if the kind has one
    deal: bool = False  # has deal_status / deal_id

    @property
    def number(self) -> str:
        return f"{self.key}_number"


KINDS = {
    "invoices": Kind(
        "invoices", "invoice", "Invoice", "billing_date", "invoice_note", "INV", "請求書",
        ("unsettled", "settled", "canceled", "unprocessed", "failed"), True,
    ),
    "quotations": Kind(
        "quotations", "quotation", "Quotation", "quotation_date", "quotation_note", "QUO", "見積書"
    ),
    "delivery_slips": Kind(
        "delivery_slips", "delivery_slip", "DeliverySlip", "delivery_slip_date",
        "delivery_slip_note", "DEL", "納品書", ("unsettled", "settled"), True,
    ),
}  # fmt: skip


def seed() -> dict:
    company = {
        "id": COMPANY_ID,
        "name": "Renkei サンドボックス株式会社",
        "name_kana": "レンケイサンドボックス",
        "display_name": "Renkei サンドボックス株式会社",
        "role": "admin",
    }
    templates = {path: [{"id": 1, "name": f"{kind.label}（標準）"}] for path, kind in KINDS.items()}
    companies = {str(COMPANY_ID): company}
    return {
        "companies": companies,
        "templates": templates,
        "partners": {},
        "items": {},
        "documents": {},
    }


def freee_time() -> str:
    """'2024-05-01 10:00:00' — the pattern freee's created_at follows (JST, no zone)."""
    return now().strftime("%Y-%m-%d %H:%M:%S")


def make_lines(raw_lines: list[dict], amount_fraction: str, next_id) -> list[dict]:
    """Stored lines with amount_excluding_tax per item line (text lines carry none)."""
    lines = []
    for index, raw in enumerate(raw_lines):
        line = {"id": next_id(), "type": raw.get("type", "item"), "withholding": False}
        line.update({k: v for k, v in raw.items() if k not in ("id", "type")})
        line.setdefault("description", "")
        line.setdefault("reduced_tax_rate", False)
        line.setdefault("tag_ids", [])
        if line["type"] == "text":
            line.update(quantity=None, unit_price=None, tax_rate=None, amount_excluding_tax=None)
        else:
            for field in ("quantity", "tax_rate"):
                if raw.get(field) is None:
                    message = f"lines[{index}].{field}は必須です（明細の種類がitemの場合）"
                    raise ApiError(400, message, f"lines[{index}].{field}")
            if line["reduced_tax_rate"] and raw["tax_rate"] != 8:
                message = f"lines[{index}].reduced_tax_rateは税率8%の時のみ指定できます"
                raise ApiError(400, message, f"lines[{index}].reduced_tax_rate")
            quantity = to_decimal(raw["quantity"], f"lines[{index}].quantity")
            price = to_decimal(raw.get("unit_price") or "0", f"lines[{index}].unit_price")
            line["_amount"] = str(round_to(quantity * price, amount_fraction or "omit"))
            line["unit_price"] = raw.get("unit_price") or "0"
        lines.append(line)
    return lines


def apply_amounts(doc: dict) -> None:
    """Per-rate subtotals, tax rounded once per rate, withholding and totals."""
    inclusive = doc["tax_entry_method"] == "in"
    groups: dict[str, Decimal] = {}
    withholding_base = Decimal(0)
    for line in doc["lines"]:
        if line["type"] != "item":
            continue
        rate = f"{line['tax_rate']}_reduced" if line["reduced_tax_rate"] else str(line["tax_rate"])
        groups[rate] = groups.get(rate, Decimal(0)) + Decimal(line["_amount"])
        percent = Decimal(line["tax_rate"])
        line_tax = Decimal(line["_amount"]) * percent / (100 + percent) if inclusive else 0
        excluding = Decimal(line["_amount"]) - round_to(Decimal(line_tax), "omit")
        line["amount_excluding_tax"] = str(excluding)  # stored as text: the state is JSON
        if line["withholding"]:
            withholding_base += Decimal(line["_amount"]) if inclusive else excluding
    total_excl = total_tax = Decimal(0)
    for rate in ("10", "8", "8_reduced", "0"):
        if rate not in groups:
            for field in ("including", "excluding"):
                doc[f"amount_{field}_tax_{rate}"] = None
            doc[f"amount_tax_{rate}"] = None
            continue
        percent = Decimal(rate.split("_")[0])
        amount = groups[rate]
        divisor = 100 + percent if inclusive else 100
        tax = round_to(amount * percent / divisor, doc["tax_fraction"])
        excluding = amount - tax if inclusive else amount
        doc[f"amount_excluding_tax_{rate}"] = str(excluding)
        doc[f"amount_tax_{rate}"] = str(tax)
        doc[f"amount_including_tax_{rate}"] = str(excluding + tax)
        total_excl, total_tax = total_excl + excluding, total_tax + tax
    withholding = _withholding(withholding_base)
    forward = Decimal(doc.get("amount_brought_forward") or 0)
    doc.update(
        amount_excluding_tax=str(total_excl),
        amount_tax=str(total_tax),
        amount_including_tax=str(total_excl + total_tax),
        amount_withholding_tax=str(withholding),
        total_amount=str(total_excl + total_tax - withholding + forward),
    )


def _withholding(base: Decimal) -> Decimal:
    """源泉徴収税額: 10.21% up to ¥1,000,000, 20.42% above (rounded down)."""
    if base <= 1_000_000:
        return round_to(base * Decimal("0.1021"), "omit")
    return round_to((base - 1_000_000) * Decimal("0.2042") + 102100, "omit")


def shape(value, pointer: str):
    """Keep only what the schema at ``pointer`` declares; Decimals become JSON numbers."""
    spec = load_spec("freee")
    schema = schema_at(spec, pointer)
    if "$ref" in schema:
        return shape(value, schema["$ref"])
    if isinstance(value, Decimal):
        return json_number(value)
    if schema.get("type") == "array" and isinstance(value, list):
        items = schema.get("items", {})
        return [shape(v, items["$ref"]) if "$ref" in items else v for v in value]
    if schema.get("type") == "object" and isinstance(value, dict) and "properties" in schema:
        return {
            name: shape(value[name], f"{pointer}/properties/{name}")
            for name in schema["properties"]
            if name in value
        }
    if schema.get("type") == "number" and isinstance(value, str):
        return json_number(Decimal(value))
    return value
