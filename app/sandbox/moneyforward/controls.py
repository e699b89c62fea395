"""Test controls of the Money Forward sandbox: what a person does in its screens.

A payment is not an amount at Money Forward: a billing only says 入金ステータス, so a
payment recorded here is kept privately (``_paid``, ``_payments``) and shows as
入金済み ('2') once the billing is paid in full, 未入金 ('1') before. Our reference
rides in ``memo`` as ``[renkei:<reference>]``, as Renkei's client writes it.
"""

from __future__ import annotations

from decimal import Decimal

from ..common import ApiError, due_of, iso, neutral_lines, now, parse_date, payment_of, plain
from ..common import today as sandbox_today
from .billings import build_billing
from .model import billing_json, document_header, make_line, totals

EXCISE = {
    "standard_10": "ten_percent",
    "reduced_8": "eight_percent_as_reduced_tax_rate",
    "exempt": "untaxable",
}


def _items(raw) -> list[dict]:
    return [
        {
            "name": line["name"],
            "price": plain(line["unit_price"]),
            "quantity": plain(line["quantity"]),
            "excise": EXCISE[line["tax_rate"]],
        }
        for line in neutral_lines(raw)
    ]


def _department(state: dict, values: dict) -> str:
    """The department a control names: ``department_id``, else the first department of
    the partner ``customer_id`` (the id Renkei keeps for a Money Forward customer)."""
    if values.get("department_id"):
        return str(values["department_id"])
    partner_id = str(values.get("customer_id") or "")
    for department in state["departments"].values():
        if department["_partner_id"] == partner_id:
            return department["id"]
    raise ApiError(400, f"no partner {partner_id!r} with a department", "customer_id")


def _billing(sb, doc_id: str) -> dict:
    billing = sb.state["billings"].get(doc_id)
    if billing is None:
        raise ApiError(404, f"no billing {doc_id}")
    return billing


def record_payment(sb, doc_id: str, values: dict) -> dict:
    with sb.store.write():
        billing = _billing(sb, doc_id)
        total, paid = Decimal(billing["total_price"]), Decimal(billing.get("_paid", "0"))
        amount, day = payment_of(values, total - paid)
        paid += amount
        billing["_paid"] = str(paid)
        billing.setdefault("_payments", []).append({"amount": str(amount), "date": str(day)})
        billing.update(payment_status="2" if paid >= total else "1", updated_at=iso(now()))
        return billing_json(billing)


def edit_invoice(sb, doc_id: str, values: dict) -> dict:
    state = sb.state
    with sb.store.write():
        billing = _billing(sb, doc_id)
        if values.get("customer_id") or values.get("department_id"):
            header = document_header(state, _department(state, values))
            header.pop("partner_detail")
            billing.update(header)
        if "lines" in values:
            items = _items(values["lines"])
            billing["items"] = [
                make_line(state, raw, i, delivery=True) for i, raw in enumerate(items)
            ]
            billing.update(totals(billing["items"], billing["config"], True))
            paid = Decimal(billing.get("_paid", "0"))
            if paid > 0:  # what was paid may now settle it, or no longer
                billing["payment_status"] = "2" if paid >= Decimal(billing["total_price"]) else "1"
        billing["updated_at"] = iso(now())
        return billing_json(billing)


def create_invoice(sb, values: dict) -> dict:
    state = sb.state
    issued = parse_date(values.get("issue_date") or sandbox_today().isoformat(), "issue_date")
    body = {
        "department_id": _department(state, values),
        "billing_date": issued.isoformat(),
        "due_date": due_of(values, issued).isoformat(),
        "title": str(values.get("title") or ""),
    }
    if values.get("reference"):
        body["memo"] = f"[renkei:{values['reference']}]"
    if values.get("number"):
        body["billing_number"] = str(values["number"])
    with sb.store.write():
        billing = build_billing(sb, body, _items(values.get("lines")))
        state["billings"][billing["id"]] = billing
        return billing_json(billing)
