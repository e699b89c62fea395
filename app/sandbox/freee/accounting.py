"""A minimal stand-in for freee's accounting API (``/api/1``): companies, partners and
items (品目: list, get, create, update).

The invoice spec references partners by id or code but does not define them; freee
serves them from https://api.freee.co.jp/api/1. Shapes follow freee's accounting
reference for the fields a sync needs; this part is not validated against a spec.
"""

from __future__ import annotations

from flask import request

from ..common import ApiError
from .documents import company_id
from .model import freee_time

PARTNER_FIELDS = ("code", "name", "shortcut1", "shortcut2", "long_name", "name_kana")
PARTNER_FIELDS += ("default_title", "phone", "contact_name", "email", "org_code")
# freee 品目 (GET/POST/PUT /api/1/items): a name and two shortcuts, no price or unit.
ITEM_FIELDS = ("name", "shortcut1", "shortcut2")


def register(sb, bp) -> None:
    api = sb.api_prefixes[1]

    @bp.get(f"{api}/companies")
    def freee_companies():
        return sb.json({"companies": list(sb.state["companies"].values())})

    @bp.route(f"{api}/partners", methods=["GET", "POST"])
    def freee_partners():
        if request.method == "GET":
            company = company_id(sb, request.args.get("company_id"))
            rows = [p for p in sb.state["partners"].values() if p["company_id"] == company]
            keyword = request.args.get("keyword")
            if keyword:
                rows = [p for p in rows if keyword in p["name"] or keyword == p.get("code")]
            offset, limit = int(request.args.get("offset", 0)), int(request.args.get("limit", 50))
            return sb.json({"partners": rows[offset : offset + min(limit, 3000)]})
        body = sb.json_body()
        company = company_id(sb, body.get("company_id"))
        if not body.get("name"):
            raise ApiError(400, "nameは必須です。", "name")
        siblings = [p for p in sb.state["partners"].values() if p["company_id"] == company]
        if any(p["name"] == body["name"] for p in siblings):
            raise ApiError(400, "同じ名前の取引先がすでに存在します。", "name")
        if body.get("code") and any(p.get("code") == body["code"] for p in siblings):
            raise ApiError(400, "同じコードの取引先がすでに存在します。", "code")
        partner = {"id": sb.next_id("id", 1000), "company_id": company, "code": None}
        partner.update(default_title="御中", available=True, country_code="JP")
        partner["address_attributes"] = {"prefecture_code": -1}
        with sb.store.write():
            fill(partner, body)
            sb.state["partners"][str(partner["id"])] = partner
        return sb.json({"partner": partner}, 201)

    @bp.route(f"{api}/partners/<int:partner_id>", methods=["GET", "PUT"])
    def freee_partner(partner_id):
        values = sb.json_body() if request.method == "PUT" else request.args
        company = company_id(sb, values.get("company_id"))
        partner = sb.state["partners"].get(str(partner_id))
        if partner is None or partner["company_id"] != company:
            raise ApiError(404, "取引先が見つかりません。")
        if request.method == "PUT":
            # freee's PUT /api/1/partners/{id}: name is required, the rest as given.
            if not values.get("name"):
                raise ApiError(400, "nameは必須です。", "name")
            others = [
                p
                for p in sb.state["partners"].values()
                if p["company_id"] == company and p["id"] != partner["id"]
            ]
            if any(p["name"] == values["name"] for p in others):
                raise ApiError(400, "同じ名前の取引先がすでに存在します。", "name")
            if values.get("code") and any(p.get("code") == values["code"] for p in others):
                raise ApiError(400, "同じコードの取引先がすでに存在します。", "code")
            with sb.store.write():
                fill(partner, values)
        return sb.json({"partner": partner})


def register_items(sb, bp) -> None:
    """freee's 品目: offset/limit paging (limit ≤ 3000), ``update_date`` on each."""
    api = sb.api_prefixes[1]

    @bp.route(f"{api}/items", methods=["GET", "POST"])
    def freee_items():
        if request.method == "GET":
            company = company_id(sb, request.args.get("company_id"))
            rows = [i for i in sb.state["items"].values() if i["company_id"] == company]
            offset, limit = int(request.args.get("offset", 0)), int(request.args.get("limit", 50))
            return sb.json({"items": rows[offset : offset + min(limit, 3000)]})
        body = sb.json_body()
        company = company_id(sb, body.get("company_id"))
        if not body.get("name"):
            raise ApiError(400, "nameは必須です。", "name")
        if any(
            i["name"] == body["name"]
            for i in sb.state["items"].values()
            if i["company_id"] == company
        ):
            raise ApiError(400, "同じ名前の品目がすでに存在します。", "name")
        item = {"id": sb.next_id("id", 1000), "company_id": company, "available": True}
        item.update({k: body.get(k) for k in ITEM_FIELDS}, update_date=freee_time()[:10])
        with sb.store.write():
            sb.state["items"][str(item["id"])] = item
        return sb.json({"item": item}, 201)

    @bp.route(f"{api}/items/<int:item_id>", methods=["GET", "PUT"])
    def freee_item(item_id):
        values = sb.json_body() if request.method == "PUT" else request.args
        company = company_id(sb, values.get("company_id"))
        item = sb.state["items"].get(str(item_id))
        if item is None or item["company_id"] != company:
            raise ApiError(404, "品目が見つかりません。")
        if request.method == "PUT":
            if not values.get("name"):
                raise ApiError(400, "nameは必須です。", "name")
            with sb.store.write():
                item.update({k: values[k] for k in ITEM_FIELDS if k in values})
                item["update_date"] = freee_time()[:10]
        return sb.json({"item": item})


def fill(partner: dict, body: dict) -> None:
    """Copy the partner fields and address given in ``body`` onto ``partner``."""
    partner.update({k: body[k] for k in PARTNER_FIELDS if body.get(k) is not None})
    address = body.get("address_attributes")
    if isinstance(address, dict):
        partner["address_attributes"] = {
            "zipcode": address.get("zipcode"),
            "prefecture_code": address.get("prefecture_code", -1),
            "street_name1": address.get("street_name1"),
            "street_name2": address.get("street_name2"),
        }
    partner["update_date"] = freee_time()[:10]
