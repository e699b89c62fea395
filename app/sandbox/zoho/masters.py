"""Zoho master data: organisations, taxes, contacts and items."""

from __future__ import annotations

from flask import g, request

from ..common import ApiError, to_decimal
from .api import body, found, listing, mine, next_id, ok
from .model import CURRENCY, TAXES, named_json, tax_by_id, zoho_time

CONTACT_FIELDS = ("contact_name", "company_name", "email", "phone", "website", "notes")
CONTACT_FIELDS += ("billing_address", "shipping_address", "contact_persons", "payment_terms")
CONTACT_FIELDS += ("customer_sub_type",)  # business (default) or individual
ITEM_FIELDS = ("name", "description", "unit", "sku", "product_type")


def item_values(values: dict) -> dict:
    result = {k: values[k] for k in ITEM_FIELDS if k in values}
    if "rate" in values:
        result["rate"] = str(to_decimal(values["rate"], "rate"))
    if values.get("tax_id"):
        tax = tax_by_id(values["tax_id"])
        result.update(tax_id=tax["tax_id"], tax_name=tax["tax_name"])
        result["tax_percentage"] = tax["tax_percentage"]
    return result


def register(sb, bp) -> None:
    api = sb.api_prefixes[0]

    @bp.get(f"{api}/organizations")
    def zoho_organizations():
        return ok(sb, "success", organizations=list(sb.state["organizations"].values()))

    @bp.get(f"{api}/settings/taxes")
    def zoho_taxes():
        return ok(sb, "success", taxes=TAXES)

    @bp.route(f"{api}/contacts", methods=["GET", "POST"])
    def zoho_contacts():
        if request.method == "GET":
            rows = mine(sb, "contacts")
            if request.args.get("contact_name"):
                rows = [c for c in rows if c["contact_name"] == request.args["contact_name"]]
            if request.args.get("search_text"):
                rows = [c for c in rows if request.args["search_text"] in c["contact_name"]]
            data, context = listing(rows, "Contacts", "contact_name")
            return ok(sb, "success", contacts=[named_json(c) for c in data], page_context=context)
        values = body()
        name = values.get("contact_name")
        if not name:
            raise ApiError(400, "", "contact_name")
        if any(c["contact_name"] == name for c in mine(sb, "contacts")):
            raise ApiError(400, f'The customer "{name}" already exists.', code=3062)
        stamp = zoho_time()
        contact = {"contact_id": next_id(sb), "contact_type": "customer", "status": "active"}
        contact.update(customer_sub_type="business", currency_code=CURRENCY["currency_code"])
        contact.update({k: values[k] for k in CONTACT_FIELDS if k in values})
        contact.update(outstanding_receivable_amount="0", created_time=stamp)
        contact.update(last_modified_time=stamp, _org=g.zoho_org)
        with sb.store.write():
            sb.state["contacts"][contact["contact_id"]] = contact
        return ok(sb, "The contact has been added.", 201, contact=named_json(contact))

    @bp.route(f"{api}/contacts/<contact_id>", methods=["GET", "PUT", "DELETE"])
    def zoho_contact(contact_id):
        contact = found(sb, "contacts", contact_id, "Contact")
        with sb.store.write():
            if request.method == "DELETE":
                docs = mine(sb, "invoices") + mine(sb, "estimates")
                if any(d["customer_id"] == contact_id for d in docs):
                    raise ApiError(400, "The contact has transactions and cannot be deleted.")
                del sb.state["contacts"][contact_id]
                return ok(sb, "The contact has been deleted.")
            if request.method == "PUT":
                values = body()
                contact.update({k: values[k] for k in CONTACT_FIELDS if k in values})
                contact["last_modified_time"] = zoho_time()
                return ok(sb, "Contact information has been saved.", contact=named_json(contact))
        return ok(sb, "success", contact=named_json(contact))

    @bp.route(f"{api}/items", methods=["GET", "POST"])
    def zoho_items():
        if request.method == "GET":
            data, context = listing(mine(sb, "items"), "Items", "name")
            return ok(sb, "success", items=[named_json(i) for i in data], page_context=context)
        values = body()
        for field in ("name", "rate"):
            if values.get(field) in (None, ""):
                raise ApiError(400, "", field)
        if any(i["name"] == values["name"] for i in mine(sb, "items")):
            raise ApiError(400, f'The item "{values["name"]}" already exists.', code=1001)
        stamp = zoho_time()
        item = {"item_id": next_id(sb), "status": "active", "unit": "", "description": ""}
        item.update(item_values(values), created_time=stamp, last_modified_time=stamp)
        item["_org"] = g.zoho_org
        with sb.store.write():
            sb.state["items"][item["item_id"]] = item
        return ok(sb, "The item has been added.", 201, item=named_json(item))

    @bp.route(f"{api}/items/<item_id>", methods=["GET", "PUT", "DELETE"])
    def zoho_item(item_id):
        item = found(sb, "items", item_id, "Item")
        with sb.store.write():
            if request.method == "DELETE":
                del sb.state["items"][item_id]
                return ok(sb, "The item has been deleted.")
            if request.method == "PUT":
                item.update(item_values(body()), last_modified_time=zoho_time())
                return ok(sb, "Item details have been saved.", item=named_json(item))
        return ok(sb, "success", item=named_json(item))
