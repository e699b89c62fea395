"""freee partners and items (品目, accounting API) ↔ our companies and products.

freee's partner has no contact persons, so contacts are not synced with freee. Its
``update_date`` is a day (no time), and neither list filters on it: a pull pages through
every partner and item and compares days — so within one day a change made in Renkei
after a freee change wins a conflict. freee's 品目 has a name and shortcuts only (no
price, unit or tax): products go as name and code (shortcut1), and an item taken in
keeps our price. freee keeps books in Japanese yen.
"""

from __future__ import annotations

from ..wire_values import parse_datetime, parse_id
from .mapping import PREFECTURES, PROVIDER

CURRENCY = "JPY"


def _stamp(record: dict):
    return parse_datetime(record.get("update_date"), "update_date", PROVIDER)


def _prefecture(code) -> str | None:
    if isinstance(code, int) and 0 <= code < len(PREFECTURES):
        return PREFECTURES[code]
    return None


def customer_fields(partner: dict) -> dict:
    """A partner in our company's words and its last change (a day)."""
    address = partner.get("address_attributes") or {}
    return {
        "external_id": parse_id(partner.get("id"), "id", PROVIDER),
        "department_id": None,
        "code": partner.get("code") or None,
        "name": partner.get("name") or "",
        "kana": partner.get("name_kana") or None,
        "postal_code": address.get("zipcode") or None,
        "prefecture": _prefecture(address.get("prefecture_code")),
        "address1": address.get("street_name1") or None,
        "address2": address.get("street_name2") or None,
        "phone": partner.get("phone") or None,
        "email": partner.get("email") or None,
        "registration_number": partner.get("invoice_registration_number") or None,
        "updated_at": _stamp(partner),
        "persons": [],
        "individual": False,
    }


def item_body(product) -> dict:
    """The 品目 standing for ``product``: its name, our code as shortcut1."""
    return {"name": product.name[:255], "shortcut1": product.code[:255]}


def item_fields(item: dict) -> dict:
    """A 品目 in our product's words (no price, unit or tax at freee)."""
    return {
        "external_id": parse_id(item.get("id"), "id", PROVIDER),
        "name": item.get("name") or "",
        "code": item.get("shortcut1") or None,
        "unit": None,
        "price": None,
        "tax_rate": None,
        "updated_at": _stamp(item),
    }
