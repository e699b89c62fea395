"""Money Forward master data: office, partners with departments, items."""

from __future__ import annotations

from flask import Response, request

from ..common import ApiError, iso, mf_id, now, page_args, paginate, plain, to_decimal
from .model import partner_json, public

DEPARTMENT_FIELDS = (
    "zip",
    "tel",
    "prefecture",
    "address1",
    "address2",
    "person_name",
    "person_title",
    "person_dept",
    "office_member_name",
    "email",
    "cc_emails",
    "peppol_id",
)
PARTNER_FIELDS = ("code", "name", "name_kana", "name_suffix", "memo", "payment_deadline_setting")
ITEM_FIELDS = ("name", "code", "detail", "unit", "excise")


def listing(rows: list[dict]) -> dict:
    """Money Forward's page envelope: {"data": [...], "pagination": {...}}."""
    page, per_page = page_args(request.args, 100, 100)
    data, pages = paginate(rows, page, per_page)
    pagination = {
        "total_count": len(rows),
        "total_pages": pages,
        "per_page": per_page,
        "current_page": page,
    }
    return {"data": data, "pagination": pagination}


def _matches(value: str | None, wanted: str | None) -> bool:
    """The spec's list filters: comma-separated values, partial match."""
    if not wanted:
        return True
    return any(w.strip() and w.strip() in (value or "") for w in wanted.split(","))


def register(sb, bp) -> None:
    state = lambda: sb.state  # noqa: E731 - re-read: a reset replaces the namespace

    def found(kind: str, key: str) -> dict:
        record = state()[kind].get(key)
        if record is None:
            raise ApiError(404, "Not Found")
        return record

    def check_partner_setting(setting) -> None:
        if setting and setting.get("due_date") == 0:
            message = "payment_deadline_setting.due_dateに0は指定できません"
            raise ApiError(400, message, "payment_deadline_setting.due_date")

    def new_department(partner_id: str, values: dict) -> dict:
        stamp = iso(now())
        department = {"id": mf_id(), **{k: values.get(k) or "" for k in DEPARTMENT_FIELDS}}
        if values.get("office_member_name"):
            department["office_member_id"] = mf_id()
        department.update(created_at=stamp, updated_at=stamp, _partner_id=partner_id)
        state()["departments"][department["id"]] = department
        return department

    def in_use(field: str, value: str) -> bool:
        docs = list(state()["billings"].values()) + list(state()["quotes"].values())
        return any(doc.get(field) == value for doc in docs)

    @sb.route(bp, "/office", methods=["GET", "PUT"])
    def mf_office():
        office = state()["office"]
        if request.method == "PUT":
            body = sb.json_body()
            sb.check_body("/office", "put", body)
            with sb.store.write():
                office.update({k: v for k, v in body.items() if k in office})
                office["updated_at"] = iso(now())
        return sb.json(office)

    @sb.route(bp, "/office/registration_code", methods=["PUT", "DELETE"])
    def mf_registration_code():
        office = state()["office"]
        with sb.store.write():
            if request.method == "DELETE":
                office.pop("registration_code", None)
                office["updated_at"] = iso(now())
                return Response(status=204)
            body = sb.json_body()
            sb.check_body("/office/registration_code", "put", body)
            office.update(registration_code=body["registration_code"], updated_at=iso(now()))
        return sb.json({"registration_code": office["registration_code"]})

    @sb.route(bp, "/partners", methods=["GET", "POST"])
    def mf_partners():
        if request.method == "GET":
            args = request.args
            rows = [
                partner_json(state(), p)
                for p in state()["partners"].values()
                if _matches(p.get("name"), args.get("name"))
                and _matches(p.get("code"), args.get("code"))
                and _matches(p.get("name_kana"), args.get("name_kana"))
            ]
            return sb.json(listing(rows))
        body = sb.json_body()
        sb.check_body("/partners", "post", body)
        check_partner_setting(body.get("payment_deadline_setting"))
        if len(body.get("departments") or []) > 10:
            raise ApiError(400, "departmentsは10件以内で指定してください", "departments")
        if body.get("code") and any(
            p.get("code") == body["code"] for p in state()["partners"].values()
        ):
            raise ApiError(400, "codeはすでに存在します", "code")
        stamp = iso(now())
        partner = {"id": mf_id(), "name_suffix": "御中", "payment_deadline_setting": None}
        partner.update({k: body[k] for k in PARTNER_FIELDS if body.get(k) is not None})
        partner.update(created_at=stamp, updated_at=stamp)
        with sb.store.write():
            state()["partners"][partner["id"]] = partner
            for values in body.get("departments") or []:
                new_department(partner["id"], values)
        return sb.json(partner_json(state(), partner), 201)

    @sb.route(bp, "/partners/<partner_id>", methods=["GET", "PUT", "DELETE"])
    def mf_partner(partner_id):
        partner = found("partners", partner_id)
        if request.method == "DELETE":
            if in_use("partner_id", partner_id):
                raise ApiError(400, "帳票が存在する取引先は削除できません", "partner_id")
            with sb.store.write():
                del state()["partners"][partner_id]
                for key in [
                    k for k, d in state()["departments"].items() if d["_partner_id"] == partner_id
                ]:
                    del state()["departments"][key]
            return Response(status=204)
        if request.method == "PUT":
            body = sb.json_body()
            sb.check_body("/partners/{partner_id}", "put", body)
            check_partner_setting(body.get("payment_deadline_setting"))
            with sb.store.write():
                partner.update({k: body[k] for k in PARTNER_FIELDS if k in body})
                partner["updated_at"] = iso(now())
        return sb.json(partner_json(state(), partner))

    @sb.route(bp, "/partners/<partner_id>/departments", methods=["GET", "POST"])
    def mf_departments(partner_id):
        found("partners", partner_id)
        if request.method == "GET":
            departments = partner_json(state(), state()["partners"][partner_id])["departments"]
            return sb.json(listing(departments))
        body = sb.json_body()
        sb.check_body("/partners/{partner_id}/departments", "post", body)
        if not any(body.get(k) for k in DEPARTMENT_FIELDS):
            raise ApiError(400, "いずれかの項目を入力してください", "department")
        with sb.store.write():
            department = new_department(partner_id, body)
        return sb.json(public(department), 201)

    @sb.route(
        bp, "/partners/<partner_id>/departments/<department_id>", methods=["GET", "PUT", "DELETE"]
    )
    def mf_department(partner_id, department_id):
        department = found("departments", department_id)
        if department["_partner_id"] != partner_id:
            raise ApiError(404, "Not Found")
        if request.method == "DELETE":
            if in_use("department_id", department_id):
                raise ApiError(400, "帳票が存在する部門は削除できません", "department_id")
            with sb.store.write():
                del state()["departments"][department_id]
            return Response(status=204)
        if request.method == "PUT":
            body = sb.json_body()
            sb.check_body("/partners/{partner_id}/departments/{department_id}", "put", body)
            with sb.store.write():
                department.update({k: body[k] for k in DEPARTMENT_FIELDS if k in body})
                department["updated_at"] = iso(now())
        return sb.json(public(department))

    def item_values(body: dict, item: dict) -> dict:
        values = {k: body[k] for k in ITEM_FIELDS if body.get(k) is not None}
        for key in ("price", "quantity"):
            if body.get(key) is not None:
                values[key] = plain(to_decimal(body[key], key))
        return values

    @sb.route(bp, "/items", methods=["GET", "POST"])
    def mf_items():
        if request.method == "GET":
            return sb.json(listing([public(i) for i in state()["items"].values()]))
        body = sb.json_body()
        sb.check_body("/items", "post", body)
        stamp = iso(now())
        item = {"id": mf_id(), "code": "", "detail": "", "unit": "", "price": "0", "quantity": "1"}
        item.update(item_values(body, item), created_at=stamp, updated_at=stamp)
        with sb.store.write():
            state()["items"][item["id"]] = item
        return sb.json(public(item), 201)

    @sb.route(bp, "/items/<item_id>", methods=["GET", "PUT", "DELETE"])
    def mf_item(item_id):
        item = found("items", item_id)
        with sb.store.write():
            if request.method == "DELETE":
                del state()["items"][item_id]
                return Response(status=204)
            if request.method == "PUT":
                body = sb.json_body()
                sb.check_body("/items/{item_id}", "put", body)
                item.update(item_values(body, item), updated_at=iso(now()))
        return sb.json(public(item))
