"""Money Forward partners, departments and items ↔ our companies, contacts, products.

A partner's first department carries the company's address, phone and email (the
department invoices go to, as app/providers/moneyforward/mapping.py makes it); every
further department that names a person is one of the company's contacts. The partner
list has no updated-since filter: a pull pages through every partner (100 a page) and
compares each one's ``updated_at`` (the later of the partner's and its departments').
Money Forward keeps no currency per office: the API is Japanese yen only.
"""

from __future__ import annotations

from decimal import Decimal

from ..wire_values import parse_amount, parse_datetime, parse_id
from .mapping import EXCISE_BY_TAX_RATE, PROVIDER

CURRENCY = "JPY"
TAX_RATE_BY_EXCISE = {v: k for k, v in EXCISE_BY_TAX_RATE.items()}
PARTNER_KEYS = ("code", "name", "name_kana", "name_suffix", "memo")


def _stamp(record: dict, field: str = "updated_at"):
    return parse_datetime(record.get(field), field, PROVIDER)


def customer_fields(partner: dict) -> dict:
    """A partner in our company's words, its contacts, and its last change."""
    departments = partner.get("departments") or []
    first = departments[0] if departments else {}
    stamps = [s for s in [_stamp(partner)] + [_stamp(d) for d in departments] if s]
    return {
        "external_id": parse_id(partner.get("id"), "id", PROVIDER),
        "department_id": parse_id(first["id"], "departments[0].id", PROVIDER) if first else None,
        "code": partner.get("code") or None,
        "name": partner.get("name") or "",
        "kana": partner.get("name_kana") or None,
        "postal_code": first.get("zip") or None,
        "prefecture": first.get("prefecture") or None,
        "address1": first.get("address1") or None,
        "address2": first.get("address2") or None,
        "phone": first.get("tel") or None,
        "email": first.get("email") or None,
        "registration_number": None,
        "updated_at": max(stamps) if stamps else None,
        "persons": [person_fields(d) for d in departments[1:] if d.get("person_name")],
        "individual": False,
    }


def person_fields(department: dict) -> dict:
    """A department naming a person, as one of our contacts."""
    return {
        "external_id": parse_id(department.get("id"), "department.id", PROVIDER),
        "name": department.get("person_name") or "",
        "department": department.get("person_dept") or None,
        "title": department.get("person_title") or None,
        "email": department.get("email") or None,
        "phone": department.get("tel") or None,
    }


def person_body(contact) -> dict:
    """The department standing for one of our contacts."""
    body = {
        "person_name": contact.name[:35],
        "person_dept": contact.department,
        "person_title": contact.title,
        "email": contact.email,
        "tel": contact.phone,
    }
    return {k: v for k, v in body.items() if v}


def split_extra(extra: dict) -> tuple[dict, dict]:
    """Mapped fields (``theirs`` → value) split into partner and department fields."""
    partner = {k: v for k, v in extra.items() if k in PARTNER_KEYS}
    return partner, {k: v for k, v in extra.items() if k not in PARTNER_KEYS}


def _number(value: Decimal) -> int | float:
    """A JSON number, as the spec's item price is (integral yen stay integers)."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def item_body(product) -> dict:
    """The item standing for ``product`` (name, code, unit, price, excise)."""
    body = {
        "name": product.name[:100],
        "code": product.code[:30],
        "unit": (product.unit or "")[:20] or None,
        "price": _number(product.unit_price),
        "excise": EXCISE_BY_TAX_RATE.get(product.tax_rate, "ten_percent"),
    }
    return {k: v for k, v in body.items() if v is not None}


def item_fields(item: dict) -> dict:
    """An item in our product's words."""
    price = parse_amount(item.get("price"), "price", PROVIDER)
    return {
        "external_id": parse_id(item.get("id"), "id", PROVIDER),
        "name": item.get("name") or "",
        "code": item.get("code") or None,
        "unit": item.get("unit") or None,
        "price": price if price is not None else Decimal(0),
        "tax_rate": TAX_RATE_BY_EXCISE.get(item.get("excise"), "standard_10"),
        "updated_at": _stamp(item),
    }
