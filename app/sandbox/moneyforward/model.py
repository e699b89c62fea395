"""Money Forward Cloud Invoice v3 data: seed, line items, tax totals and JSON shapes.

Amounts are computed with Decimal and written as Money Forward writes them: prices
and quantities as plain decimal strings ('10', '1.5'), totals as Ruby decimal strings
('1100.0'). Billing statuses are stored as the codes the API writes ('0', '1', '2')
and read back as the Japanese labels the Billing schema lists.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from decimal import Decimal

from ..common import ApiError, iso, mf_id, now, plain, round_to, ruby_decimal, to_decimal

EXCISE_RATES = {
    "untaxable": Decimal(0),
    "non_taxable": Decimal(0),
    "tax_exemption": Decimal(0),
    "five_percent": Decimal(5),
    "eight_percent": Decimal(8),
    "eight_percent_as_reduced_tax_rate": Decimal(8),
    "ten_percent": Decimal(10),
}
PAYMENT_LABELS = {"0": "未設定", "1": "未入金", "2": "入金済み", "3": "未払い", "4": "振込済み"}
ORDER_STATUS = {"-1": "failure", "0": "default", "1": "not_received", "2": "received"}
MONTH_OFFSETS = {
    "this_month": 0,
    "next_month": 1,
    "two_months_after": 2,
    "three_months_after": 3,
    "four_months_after": 4,
    "five_months_after": 5,
    "six_months_after": 6,
}
# How Money Forward computes a billing's tax, from its API v3.6.0 spec
# (https://github.com/toolchainjp/mf-invoice-mcp-server, document.yaml; guide
# https://biz.moneyforward.com/support/invoice/guide/api-guide/a03.html): the office's
# 請求書設定, reported on every billing as ``config`` (schema BillingConfig) and not part of
# the create request — ``rounding`` 明細行ごとの端数処理 rounds each line's price × quantity,
# ``rounding_consumption_tax`` 消費税の端数処理 rounds the tax of each excise kind once
# (the billing answers one ``excise_price_of_<kind>`` per kind, on
# ``subtotal_of_<kind>_excise``), each round_down 切り捨て / round_up 切り上げ / round_off
# 四捨五入; ``consumption_tax_display_type`` internal 内税 / external 外税.
# A corporation's defaults: rounded down, tax on top (外税).
DEFAULT_CONFIG = {
    "rounding": "round_down",
    "rounding_consumption_tax": "round_down",
    "consumption_tax_display_type": "external",
}
ROUNDING_MODES = ("round_down", "round_up", "round_off")


def office_config(settings: dict) -> dict:
    """The office's BillingConfig: the sandbox's settings (a test may change them)."""
    config = {key: settings.get(key, value) for key, value in DEFAULT_CONFIG.items()}
    for key in ("rounding", "rounding_consumption_tax"):
        if config[key] not in ROUNDING_MODES:
            config[key] = DEFAULT_CONFIG[key]
    return config


LINE_FIELDS = ("detail", "unit", "delivery_number", "delivery_date")


def seed() -> dict:
    """A corporation office with one member; no partners, items or documents yet."""
    stamp = iso(now())
    office = {
        "id": mf_id(),
        "name": "Renkei サンドボックス株式会社",
        "zip": "100-0005",
        "prefecture": "東京都",
        "address1": "千代田区丸の内1-1-1",
        "address2": "サンドボックスビル 5F",
        "tel": "03-1234-5678",
        "fax": "03-1234-5679",
        "office_type": "法人",
        "office_code": "1234-5678",
        "registration_code": "T1234567890123",
        "created_at": stamp,
        "updated_at": stamp,
    }
    member = {"id": mf_id(), "name": "連携 太郎", "operator_id": mf_id()}
    return {
        "office": office,
        "member": member,
        "partners": {},
        "departments": {},
        "items": {},
        "billings": {},
        "quotes": {},
    }


def office_detail(office: dict) -> str:
    """The sender block printed on documents, in Money Forward's layout."""
    lines = [
        f"〒{office.get('zip', '')}",
        f"{office.get('prefecture', '')}{office.get('address1', '')}",
        office.get("address2", ""),
        f"TEL: {office.get('tel', '')}",
    ]
    if office.get("fax"):
        lines.append(f"FAX: {office['fax']}")
    return "\n".join(lines) + "\n"


def due_from_setting(setting: dict, billing_date: date) -> date:
    """The due date a partner's payment_deadline_setting gives for ``billing_date``."""
    months = billing_date.month - 1 + MONTH_OFFSETS[setting["due_month"]]
    year, month = billing_date.year + months // 12, months % 12 + 1
    last = calendar.monthrange(year, month)[1]
    day = last if setting["due_date"] == -1 else min(int(setting["due_date"]), last)
    due = date(year, month, day)
    step = {"move_to_earlier_day": -1, "move_to_later_day": 1}.get(setting["contingency_day"])
    while step and due.weekday() >= 5:  # weekends only: the sandbox has no holiday calendar
        due += timedelta(days=step)
    return due


def make_line(state: dict, raw: dict, index: int, delivery: bool) -> dict:
    """A stored BillingItem/Item line from a request line (master item values first)."""
    stamp = iso(now())
    master = state["items"].get(raw["item_id"]) if raw.get("item_id") else None
    if raw.get("item_id") and master is None:
        raise ApiError(400, f"items[{index}].item_id が見つかりません", f"items[{index}].item_id")
    base = dict(master) if master else {"code": "", "price": "0", "quantity": "1"}
    name = base.get("name") or raw.get("name")  # the master's name wins, as documented
    excise = raw.get("excise") or base.get("excise")
    if not name:
        raise ApiError(400, f"items[{index}].name を入力してください", f"items[{index}].name")
    if not excise:
        raise ApiError(400, f"items[{index}].excise を入力してください", f"items[{index}].excise")
    line = {"id": mf_id(), "name": name, "code": base.get("code", ""), "excise": excise}
    for key in ("price", "quantity"):
        value = raw[key] if raw.get(key) is not None else base.get(key, "0")
        line[key] = plain(to_decimal(value, f"items[{index}].{key}"))
    for key in LINE_FIELDS if delivery else LINE_FIELDS[:2]:
        value = raw.get(key, base.get(key))
        if value is not None:
            line[key] = value
    line.update(created_at=stamp, updated_at=stamp)
    return line


def totals(lines: list[dict], config: dict, with_tax_subtotals: bool) -> dict:
    """Subtotal per excise kind, tax per kind (rounded once per kind), grand totals."""
    subtotal = dict.fromkeys(EXCISE_RATES, Decimal(0))
    for line in lines:
        amount = Decimal(line["price"]) * Decimal(line["quantity"])
        subtotal[line["excise"]] += round_to(amount, config["rounding"])
    result, tax_sum = {}, Decimal(0)
    for kind, rate in EXCISE_RATES.items():
        tax = round_to(subtotal[kind] * rate / 100, config["rounding_consumption_tax"])
        tax_sum += tax
        result[f"excise_price_of_{kind}"] = ruby_decimal(tax)
        result[f"subtotal_of_{kind}_excise"] = ruby_decimal(subtotal[kind])
        if with_tax_subtotals:
            result[f"subtotal_with_tax_of_{kind}_excise"] = ruby_decimal(subtotal[kind] + tax)
    net = sum(subtotal.values(), Decimal(0))
    result.update(
        excise_price=ruby_decimal(tax_sum),
        subtotal_price=ruby_decimal(net),
        total_price=ruby_decimal(net + tax_sum),
    )
    return result


def public(record: dict) -> dict:
    """The record without the sandbox's private keys (those starting with '_')."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


def billing_json(billing: dict) -> dict:
    data = public(billing)
    data["items"] = [public(line) for line in billing["items"]]
    data["payment_status"] = PAYMENT_LABELS[billing["payment_status"]]
    return data


def quote_json(quote: dict) -> dict:
    data = public(quote)
    data["items"] = [public(line) for line in quote["items"]]
    return data


def partner_json(state: dict, partner: dict) -> dict:
    data = public(partner)
    data["departments"] = [
        public(d) for d in state["departments"].values() if d["_partner_id"] == partner["id"]
    ]
    return data


def document_header(state: dict, department_id: str) -> dict:
    """Partner, department, sender and member fields shared by billings and quotes."""
    department = state["departments"].get(department_id or "")
    if department is None:
        raise ApiError(400, "department_id が見つかりません", "department_id")
    partner = state["partners"][department["_partner_id"]]
    office, member = state["office"], state["member"]
    return {
        "operator_id": member["operator_id"],
        "department_id": department["id"],
        "member_id": department.get("office_member_id") or member["id"],
        "member_name": department.get("office_member_name") or member["name"],
        "partner_id": partner["id"],
        "partner_name": partner["name"],
        "partner_detail": f"{partner['name']} {partner.get('name_suffix', '御中')}",
        "office_id": office["id"],
        "office_name": office["name"],
        "office_detail": office_detail(office),
    }


DATE_KEYS = frozenset(
    ("billing_date", "due_date", "sales_date", "quote_date", "expired_date", "delivery_date")
)
TIME_KEYS = frozenset(("created_at", "updated_at"))


def provider_forms(payload):
    """``payload`` (stored with ISO dates and times) as Money Forward writes it: dates
    ``2022/12/09`` and times ``2023-03-20 14:56:10 +0900``, as in every example of its
    v3 spec (the schema says only ``format: date`` / ``date-time``)."""
    if isinstance(payload, list):
        return [provider_forms(value) for value in payload]
    if not isinstance(payload, dict):
        return payload
    written = {}
    for key, value in payload.items():
        if key in DATE_KEYS and isinstance(value, str) and len(value) == 10:
            written[key] = value.replace("-", "/")
        elif key in TIME_KEYS and isinstance(value, str) and "T" in value:
            moment = datetime.fromisoformat(value)
            written[key] = moment.strftime("%Y-%m-%d %H:%M:%S %z")
        else:
            written[key] = provider_forms(value)
    return written
