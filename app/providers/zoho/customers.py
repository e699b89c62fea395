"""Zoho Invoice contacts (with their contact persons) and items ↔ our records.

A business contact is one of our companies; its ``contact_persons`` are the company's
contacts; an individual contact (``customer_sub_type`` individual) is a person without
company. Contacts and items are listed with ``last_modified_time`` (Zoho's filter), so
a pull asks only for what changed. Zoho has no customer code: its unique contact name
is how a contact is found again. The organisation's base currency is in
/organizations.
"""

from __future__ import annotations

from decimal import Decimal

from ..wire_values import parse_amount, parse_datetime, parse_id
from .mapping import PERCENT_BY_TAX_RATE, PROVIDER, TAX_RATE_BY_PERCENT


def _stamp(record: dict):
    return parse_datetime(record.get("last_modified_time"), "last_modified_time", PROVIDER)


def customer_fields(contact: dict) -> dict:
    """A contact in our company's words, its persons, and its last change."""
    address = contact.get("billing_address") or {}
    return {
        "external_id": parse_id(contact.get("contact_id"), "contact_id", PROVIDER),
        "department_id": None,
        "code": None,
        "name": contact.get("contact_name") or contact.get("company_name") or "",
        "kana": None,
        "postal_code": address.get("zip") or None,
        "prefecture": address.get("state") or None,
        "address1": address.get("address") or None,
        "address2": address.get("street2") or None,
        "phone": contact.get("phone") or None,
        "email": contact.get("email") or None,
        "registration_number": None,
        "updated_at": _stamp(contact),
        "persons": [person_fields(p) for p in contact.get("contact_persons") or []],
        "individual": contact.get("customer_sub_type") == "individual",
    }


def person_fields(person: dict) -> dict:
    """A contact person as one of our contacts (keyed by its id, else its email)."""
    name = " ".join(p for p in (person.get("last_name"), person.get("first_name")) if p)
    key = person.get("contact_person_id") or person.get("email") or name
    return {
        "external_id": str(key),
        "name": name,
        "department": person.get("department") or None,
        "title": person.get("designation") or None,
        "email": person.get("email") or None,
        "phone": person.get("phone") or None,
    }


def person_body(contact) -> dict:
    """The contact person standing for one of our contacts."""
    body = {
        "last_name": contact.name[:100],
        "email": contact.email,
        "phone": contact.phone,
        "department": contact.department,
        "designation": contact.title,
    }
    return {k: v for k, v in body.items() if v}


def merge_extra(body: dict, extra: dict) -> dict:
    """Mapped fields into a contact body: ``cf:<label>`` a custom field, else a field."""
    body = dict(body)
    custom = [{"label": k[3:], "value": v} for k, v in extra.items() if k.startswith("cf:")]
    body.update({k: v for k, v in extra.items() if not k.startswith("cf:")})
    if custom:
        body["custom_fields"] = custom
    return body


def read_field(contact: dict, theirs: str):
    """A mapped field's value in a contact (``cf:<label>`` from its custom fields)."""
    if theirs.startswith("cf:"):
        fields = contact.get("custom_fields") or []
        return next((f.get("value") for f in fields if f.get("label") == theirs[3:]), None)
    return contact.get(theirs)


def item_body(product, taxes_by_rate: dict[str, str]) -> dict:
    """The item standing for ``product`` (name, sku = our code, unit, rate, tax)."""
    body = {
        "name": product.name[:100],
        "sku": product.code,
        "unit": product.unit,
        "rate": str(product.unit_price),
        "tax_id": taxes_by_rate.get(product.tax_rate),
    }
    return {k: v for k, v in body.items() if v}


def item_fields(item: dict) -> dict:
    """An item in our product's words."""
    rate = parse_amount(item.get("rate"), "rate", PROVIDER)
    percent = parse_amount(item.get("tax_percentage"), "tax_percentage", PROVIDER)
    tax_rate = TAX_RATE_BY_PERCENT.get(int(percent)) if percent is not None else None
    return {
        "external_id": parse_id(item.get("item_id"), "item_id", PROVIDER),
        "name": item.get("name") or "",
        "code": item.get("sku") or None,
        "unit": item.get("unit") or None,
        "price": rate if rate is not None else Decimal(0),
        "tax_rate": tax_rate or "standard_10",
        "updated_at": _stamp(item),
    }


__all__ = ["PERCENT_BY_TAX_RATE"]
