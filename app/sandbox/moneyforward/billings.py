"""Money Forward billings (invoice-template): create, list, get, update, delete, items."""

from __future__ import annotations

from datetime import date

from flask import Response, request

from ..common import ApiError, iso, mf_id, now, parse_date
from ..pdf import document_pdf, pdf_response
from .masters import listing
from .model import (
    billing_json,
    document_header,
    due_from_setting,
    make_line,
    office_config,
    totals,
)

BILLING_FIELDS = (
    "title",
    "memo",
    "payment_condition",
    "billing_date",
    "due_date",
    "sales_date",
    "billing_number",
    "note",
    "document_name",
    "tag_names",
)


def _in_range(value: str | None, start: date | None, end: date | None) -> bool:
    if not value:
        return False
    day = date.fromisoformat(value[:10])  # dates and JST timestamps both start YYYY-MM-DD
    return (start is None or day >= start) and (end is None or day <= end)


def filtered(rows: list[dict], date_keys: tuple[str, ...], number_key: str) -> list[dict]:
    """The list filters the spec documents for /billings and /quotes."""
    args = request.args
    key = args.get("range_key") or date_keys[0]
    if key not in date_keys:
        raise ApiError(400, f"range_keyは{', '.join(date_keys)}のいずれかです", "range_key")
    start = parse_date(args["from"], "from") if args.get("from") else None
    end = parse_date(args["to"], "to") if args.get("to") else None
    if start or end:
        rows = [r for r in rows if _in_range(r.get(key), start, end)]
    if args.get("partner_id"):
        rows = [r for r in rows if r["partner_id"] == args["partner_id"]]
    if args.get("q"):
        q = args["q"]
        rows = [
            r
            for r in rows
            if q == r["partner_name"] or q in r["title"] or q in r.get(number_key, "")
        ]
    else:
        if args.get("document_number"):
            rows = [r for r in rows if r.get(number_key) == args["document_number"]]
        if args.get("partner_name"):
            rows = [r for r in rows if r["partner_name"] == args["partner_name"]]
        if args.get("tags"):
            wanted = {t.strip() for t in args["tags"].split(",")}
            rows = [r for r in rows if wanted & set(r.get("tag_names", []))]
    # Newest document date first, then newest created: Money Forward's list order.
    return sorted(rows, key=lambda r: (r[date_keys[0]], r["created_at"]), reverse=True)


def found(sb, kind: str, key: str) -> dict:
    record = sb.state[kind].get(key)
    if record is None:
        raise ApiError(404, "Not Found")
    return record


def build_billing(sb, body: dict, lines_in: list[dict]) -> dict:
    """A new billing (not yet stored) from a create body, with totals computed."""
    state = sb.state
    header = document_header(state, body.get("department_id"))
    header.pop("partner_detail")  # a Quote field; the Billing schema has none
    billing_date = parse_date(body["billing_date"], "billing_date", slashes=True)
    partner = state["partners"][header["partner_id"]]
    if body.get("due_date"):
        due = parse_date(body["due_date"], "due_date", slashes=True)
    elif partner.get("payment_deadline_setting"):
        due = due_from_setting(partner["payment_deadline_setting"], billing_date)
    else:
        raise ApiError(
            400, "due_dateを入力してください（取引先に支払期日の設定がありません）", "due_date"
        )
    lines = [make_line(state, raw, i, delivery=True) for i, raw in enumerate(lines_in)]
    stamp = iso(now())
    billing = {"id": mf_id(), **header, "title": "", "memo": "", "payment_condition": ""}
    billing.update(note="", document_name="請求書", tag_names=[])
    billing.update({k: body[k] for k in BILLING_FIELDS if body.get(k) is not None})
    billing.update(
        billing_date=billing_date.isoformat(),
        due_date=due.isoformat(),
        billing_number=body.get("billing_number") or str(sb.next_id("billing_number")),
        pdf_url=f"{sb.api_base()}/billings/{{id}}.pdf",
        payment_status="0",
        email_status="未送信",
        posting_status="未郵送",
        created_at=stamp,
        updated_at=stamp,
        is_downloaded=False,
        is_locked=False,
        items=lines,
        registration_code=state["office"].get("registration_code", ""),
        use_invoice_template=True,
        config=office_config(sb.settings),
    )
    billing["pdf_url"] = billing["pdf_url"].replace("{id}", billing["id"])
    billing.update(totals(lines, billing["config"], with_tax_subtotals=True))
    return billing


def document_pdf_of(doc: dict, heading: str, number_key: str, date_key: str) -> bytes:
    """The PDF a billing's or quote's ``pdf_url`` serves."""
    return document_pdf(
        heading,
        [
            ("番号", doc.get(number_key)),
            ("日付", doc.get(date_key)),
            ("取引先", doc.get("partner_name")),
            ("件名", doc.get("title")),
            ("合計", doc.get("total_price")),
        ],
    )


def register(sb, bp) -> None:
    state = lambda: sb.state  # noqa: E731 - re-read: a reset replaces the namespace

    @sb.route(bp, "/billings", methods=["GET"])
    def mf_billings():
        keys = ("billing_date", "due_date", "sales_date", "created_at", "updated_at")
        rows = filtered(list(state()["billings"].values()), keys, "billing_number")
        return sb.json(listing([billing_json(b) for b in rows]))

    @sb.route(bp, "/invoice_template_billings", methods=["POST"])
    def mf_create_billing():
        body = sb.json_body()
        sb.check_body("/invoice_template_billings", "post", body)
        with sb.store.write():
            billing = build_billing(sb, body, body.get("items") or [])
            state()["billings"][billing["id"]] = billing
        return sb.json(billing_json(billing), 201)

    @sb.route(bp, "/billings/<billing_id>", methods=["GET", "PUT", "DELETE"])
    def mf_billing(billing_id):
        billing = found(sb, "billings", billing_id)
        with sb.store.write():
            if request.method == "DELETE":
                del state()["billings"][billing_id]
                return Response(status=204)
            if request.method == "PUT":
                body = sb.json_body()
                sb.check_body("/billings/{billing_id}", "put", body)
                if body.get("department_id"):
                    header = document_header(state(), body["department_id"])
                    header.pop("partner_detail")
                    billing.update(header)
                for key in ("billing_date", "due_date", "sales_date"):
                    if body.get(key):  # kept as ISO whichever form was sent
                        body[key] = parse_date(body[key], key, slashes=True).isoformat()
                billing.update({k: body[k] for k in BILLING_FIELDS if k in body})
                billing["updated_at"] = iso(now())
        return sb.json(billing_json(billing))

    @sb.route(bp, "/billings/<billing_id>.pdf", methods=["GET"])
    def mf_billing_pdf(billing_id):
        # pdf_url: outside the spec file's paths, behind the same bearer token.
        billing = found(sb, "billings", billing_id)
        content = document_pdf_of(billing, "請求書", "billing_number", "billing_date")
        return pdf_response(content, f"billing_{billing['billing_number']}.pdf")

    @sb.route(bp, "/billings/<billing_id>/payment_status", methods=["PUT"])
    def mf_payment_status(billing_id):
        billing = found(sb, "billings", billing_id)
        body = sb.json_body()
        sb.check_body("/billings/{billing_id}/payment_status", "put", body)
        with sb.store.write():
            billing.update(payment_status=body["payment_status"], updated_at=iso(now()))
        return sb.json(billing_json(billing))

    @sb.route(bp, "/billings/<billing_id>/items", methods=["GET", "POST"])
    def mf_billing_items(billing_id):
        billing = found(sb, "billings", billing_id)
        if request.method == "GET":
            return sb.json(listing(billing_json(billing)["items"]))
        body = sb.json_body()
        sb.check_body("/billings/{billing_id}/items", "post", body)
        with sb.store.write():
            line = make_line(state(), body, len(billing["items"]), delivery=True)
            billing["items"].append(line)
            billing.update(
                totals(billing["items"], billing["config"], True), updated_at=line["updated_at"]
            )
        return sb.json({k: v for k, v in line.items() if not k.startswith("_")}, 201)

    @sb.route(bp, "/billings/<billing_id>/items/<line_id>", methods=["GET", "DELETE"])
    def mf_billing_item(billing_id, line_id):
        billing = found(sb, "billings", billing_id)
        line = next((x for x in billing["items"] if x["id"] == line_id), None)
        if line is None:
            raise ApiError(404, "Not Found")
        if request.method == "GET":
            return sb.json(line)
        with sb.store.write():
            billing["items"].remove(line)
            billing.update(totals(billing["items"], billing["config"], True), updated_at=iso(now()))
        return Response(status=204)
