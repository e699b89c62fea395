"""freee invoices, quotations and delivery slips: create, list, get, update, cancel."""

from __future__ import annotations

from flask import request

from ..common import ApiError, iso, now
from .model import KINDS, Kind, apply_amounts, freee_time, make_lines, shape

SCHEMAS = "#/components/schemas/"
SENDER = {
    "company_description": "〒100-0005 東京都千代田区丸の内1-1-1",
    "company_contact_name": "連携 太郎",
    "bank_account_to_transfer": "サンドボックス銀行 本店 普通 1234567",
}
# Request fields copied as sent (when present) onto the stored document.
COPIED = (
    "subject", "memo", "branch_no", "template_id", "issue_date", "payment_date", "payment_type",
    "expiration_date", "delivery_deadline", "delivery_location", "tax_entry_method",
    "tax_fraction", "line_amount_fraction", "withholding_tax_entry_method",
    "partner_display_name", "partner_address_zipcode", "partner_address_prefecture_code",
    "partner_address_street_name1", "partner_address_street_name2",
    "partner_contact_department", "partner_contact_email_cc", "partner_contact_email_to",
    "partner_contact_name", "partner_sending_method", "partner_bank_account",
    "company_contact_name", "company_name", "company_description", "bank_account_to_transfer",
)  # fmt: skip


def touch(doc: dict) -> None:
    """freee shows no updated_at; the sandbox keeps one for its page and ordering."""
    doc["_updated_at"] = iso(now())


def register(sb, bp) -> None:
    for kind in KINDS.values():
        _register_kind(sb, bp, kind)


def company_id(sb, value) -> int:
    """The company the call names; 400 when absent, 403 when not the token's."""
    if value in (None, ""):
        raise ApiError(400, "company_idは必須です。", "company_id")
    try:
        company = int(value)
    except (TypeError, ValueError):
        raise ApiError(400, "company_idの値が不正です。", "company_id") from None
    if str(company) not in sb.state["companies"]:
        raise ApiError(403, "指定された事業所へのアクセス権限がありません。")
    return company


def partner_of(sb, company: int, body: dict) -> dict:
    partners = [p for p in sb.state["partners"].values() if p["company_id"] == company]
    if body.get("partner_id") is not None:
        match = [p for p in partners if p["id"] == body["partner_id"]]
    elif body.get("partner_code"):
        match = [p for p in partners if p.get("code") == body["partner_code"]]
    else:
        raise ApiError(
            400, "取引先IDと取引先コードはどちらか一方を必ず指定してください。", "partner_id"
        )
    if not match:
        raise ApiError(400, "指定された取引先が存在しません。", "partner_id")
    return match[0]


def address_to(doc: dict, partner: dict) -> None:
    """Address ``doc`` to ``partner`` with the partner's details (freee's defaults)."""
    address = partner.get("address_attributes") or {}
    doc.update(partner_id=partner["id"], partner_code=partner.get("code"))
    doc.update(partner_name=partner["name"], partner_display_name=partner["name"])
    doc.update(partner_address_zipcode=address.get("zipcode") or "")
    doc.update(partner_address_prefecture_code=address.get("prefecture_code", -1))
    doc.update(partner_address_street_name1=address.get("street_name1") or "")
    doc.update(partner_address_street_name2=address.get("street_name2") or "")
    doc.update(partner_contact_name=partner.get("contact_name") or "", partner_bank_account="")
    doc.update(partner_contact_email_to=partner.get("email") or "", partner_contact_email_cc="")
    doc.update(partner_contact_department="", partner_sending_method=None)


def create_document(sb, kind: Kind, body: dict) -> dict:
    """A new document of ``kind`` from a create body, stored (numbered, totals computed)."""
    doc = {"id": sb.next_id("id", 1000), "_kind": kind.path, "created_at": freee_time()}
    doc.update(sending_status="unsent", cancel_status="uncanceled", sales_management_origin=False)
    doc.update(email_url_file_downloaded_at=None, email_url_file_downloaded_status=None)
    if kind.payment:
        doc["payment_status"] = "unsettled"
    if kind.deal:
        doc.update(deal_status="unregistered", deal_id=None)
    with sb.store.write():
        build(sb, kind, body, doc)
        doc["report_url"] = f"{sb.root_url()}/#doc-{doc['id']}"
        sb.state["documents"][str(doc["id"])] = doc
    return doc


def build(sb, kind: Kind, body: dict, doc: dict) -> None:
    """Fill ``doc`` from a full request body (freee's PUT replaces the document)."""
    company = company_id(sb, body.get("company_id"))
    partner = partner_of(sb, company, body)
    number = body.get(kind.number)
    if sb.settings["numbering"] == "auto" and number:
        raise ApiError(
            400, f"採番の設定が自動採番のため、{kind.number}は指定できません。", kind.number
        )
    if sb.settings["numbering"] != "auto" and not (number or doc.get(kind.number)):
        raise ApiError(400, f"{kind.number}は必須です。", kind.number)
    template_id = body.get("template_id", 1)
    templates = sb.state["templates"][kind.path]
    template = next((t for t in templates if t["id"] == template_id), None)
    if template is None:
        raise ApiError(400, "template_idの値が不正です。", "template_id")
    doc.update(company_id=company, subject="", memo="", branch_no=None, payment_type="transfer")
    doc.update(issue_date=body.get("issue_date") or body[kind.date], payment_date=None)
    doc.update(expiration_date=None, delivery_deadline="", delivery_location="")
    address_to(doc, partner)
    doc.update(company_name=sb.state["companies"][str(company)]["name"], **SENDER)
    doc.update(line_amount_fraction=None)
    doc.update({k: body[k] for k in COPIED if k in body})
    title = body["partner_title"]
    doc.update(partner_title="(空白)" if title == "（空白）" else title)  # as documented
    doc.update({kind.date: body[kind.date], kind.note: body.get(kind.note, "")})
    doc.update(template_id=template_id, template_name=template["name"])
    doc["template"] = {"title": kind.label, "invoice_registration_number": "T1234567890123"}
    doc["template"].update(company_name=doc["company_name"], message="")
    doc["template"].update({k: doc[k] for k in ("company_description", "bank_account_to_transfer")})
    if kind.key == "invoice":
        forward = body.get("amount_brought_forward", 0)
        doc["amount_brought_forward"] = (
            forward if body.get("include_amount_brought_forward") else None
        )
    doc[kind.number] = (
        number or doc.get(kind.number) or f"{kind.prefix}-{sb.next_id(kind.prefix):05d}"
    )
    doc["lines"] = make_lines(
        body["lines"], doc["line_amount_fraction"], lambda: sb.next_id("id", 1000)
    )
    apply_amounts(doc)
    touch(doc)


def _register_kind(sb, bp, kind: Kind) -> None:
    api = f"{sb.api_prefixes[0]}/{kind.path}"
    show = f"{SCHEMAS}{kind.schema}ShowResponse_{kind.key}"
    created = f"{SCHEMAS}{kind.schema}Response_{kind.key}"
    index = f"{SCHEMAS}{kind.schema}IndexResponse_{kind.path}"

    def find(doc_id: str, company: int) -> dict:
        doc = sb.state["documents"].get(doc_id)
        if doc is None or doc["_kind"] != kind.path or doc["company_id"] != company:
            raise ApiError(404, f"指定された{kind.label}が見つかりません。")
        return doc

    def collection():
        if request.method == "POST":
            body = sb.json_body()
            sb.check_body(f"/{kind.path}", "post", body)
            doc = create_document(sb, kind, body)
            return sb.json({kind.key: shape(doc, created)}, 201)
        args = request.args
        company = company_id(sb, args.get("company_id"))
        rows = [
            d
            for d in sb.state["documents"].values()
            if d["_kind"] == kind.path and d["company_id"] == company
        ]
        for key in (
            kind.number,
            "payment_status",
            "sending_status",
            "cancel_status",
            "deal_status",
        ):
            if args.get(key):
                rows = [d for d in rows if d.get(key) == args[key]]
        if args.get("subject"):
            rows = [d for d in rows if args["subject"] in d["subject"]]
        if args.get("partner_ids"):
            wanted = {int(p) for p in args["partner_ids"].split(",") if p.strip().isdigit()}
            rows = [d for d in rows if d["partner_id"] in wanted]
        for field in (kind.date, "payment_date", "expiration_date"):
            if args.get(f"start_{field}"):
                rows = [d for d in rows if (d.get(field) or "") >= args[f"start_{field}"]]
            if args.get(f"end_{field}"):
                rows = [d for d in rows if d.get(field) and d[field] <= args[f"end_{field}"]]
        try:
            limit, offset = int(args.get("limit", 20)), int(args.get("offset", 0))
        except ValueError:
            raise ApiError(400, "limitとoffsetは整数で指定してください。", "limit") from None
        if not 1 <= limit <= 100 or offset < 0:
            raise ApiError(400, "limitは1〜100、offsetは0以上で指定してください。", "limit")
        rows.sort(key=lambda d: d["id"], reverse=True)  # newest first
        return sb.json({kind.path: [shape(d, index) for d in rows[offset : offset + limit]]})

    def member(doc_id):
        if request.method == "GET":
            doc = find(doc_id, company_id(sb, request.args.get("company_id")))
            return sb.json({kind.key: shape(doc, show)})
        body = sb.json_body()
        sb.check_body(f"/{kind.path}/{{id}}", "put", body)
        doc = find(doc_id, company_id(sb, body.get("company_id")))
        if doc["cancel_status"] == "canceled":
            raise ApiError(400, f"取消済みの{kind.label}は更新できません。")
        with sb.store.write():
            build(sb, kind, body, doc)
        return sb.json({kind.key: shape(doc, created)})

    def cancel(doc_id, action):
        body = sb.json_body()
        sb.check_body(f"/{kind.path}/{{id}}/{action}", "put", body)
        doc = find(doc_id, company_id(sb, body.get("company_id")))
        wanted = "canceled" if action == "cancel" else "uncanceled"
        if doc["cancel_status"] == wanted:
            raise ApiError(400, f"この{kind.label}はすでに{wanted}です。")
        with sb.store.write():
            doc["cancel_status"] = wanted
            touch(doc)
        return sb.json({kind.key: {"id": doc["id"], "cancel_status": wanted}})

    def templates():
        company_id(sb, request.args.get("company_id"))
        return sb.json({"templates": sb.state["templates"][kind.path]})

    bp.add_url_rule(api, f"freee_{kind.path}", collection, methods=["GET", "POST"])
    bp.add_url_rule(f"{api}/templates", f"freee_{kind.key}_templates", templates)
    bp.add_url_rule(f"{api}/<int:doc_id>", f"freee_{kind.key}", lambda doc_id: member(str(doc_id)),
                    methods=["GET", "PUT"])  # fmt: skip
    for action in ("cancel", "uncancel"):
        bp.add_url_rule(
            f"{api}/<int:doc_id>/{action}",
            f"freee_{kind.key}_{action}",
            lambda doc_id, action=action: cancel(str(doc_id), action),
            methods=["PUT"],
        )
