"""Money Forward quotes: create, list, get, update, delete, order status, convert."""

from __future__ import annotations

from flask import Response, request

from ..common import ApiError, iso, mf_id, now, parse_date, today
from ..pdf import pdf_response
from .billings import build_billing, document_pdf_of, filtered, found
from .masters import listing
from .model import (
    ORDER_STATUS,
    billing_json,
    document_header,
    due_from_setting,
    make_line,
    office_config,
    quote_json,
    totals,
)

QUOTE_FIELDS = (
    "title",
    "memo",
    "quote_date",
    "expired_date",
    "quote_number",
    "note",
    "document_name",
    "tag_names",
)


def register(sb, bp) -> None:
    state = lambda: sb.state  # noqa: E731 - re-read: a reset replaces the namespace

    @sb.route(bp, "/quotes", methods=["GET", "POST"])
    def mf_quotes():
        if request.method == "GET":
            keys = ("quote_date", "expired_date", "created_at", "updated_at")
            rows = filtered(list(state()["quotes"].values()), keys, "quote_number")
            return sb.json(listing([quote_json(q) for q in rows]))
        body = sb.json_body()
        sb.check_body("/quotes", "post", body)
        with sb.store.write():
            header = document_header(state(), body.get("department_id"))
            quote_date = parse_date(body["quote_date"], "quote_date", slashes=True)
            expired = parse_date(body["expired_date"], "expired_date", slashes=True)
            if expired < quote_date:
                raise ApiError(
                    400, "expired_dateはquote_date以降の日付を入力してください", "expired_date"
                )
            lines = [
                make_line(state(), raw, i, delivery=False)
                for i, raw in enumerate(body.get("items") or [])
            ]
            stamp = iso(now())
            quote = {"id": mf_id(), **header, "title": "", "memo": "", "note": ""}
            quote.update(document_name="見積書", tag_names=[])
            quote.update({k: body[k] for k in QUOTE_FIELDS if body.get(k) is not None})
            quote.update(
                quote_number=body.get("quote_number") or str(sb.next_id("quote_number")),
                pdf_url="",
                order_status="default",
                transmit_status="default",
                posting_status="default",
                created_at=stamp,
                updated_at=stamp,
                is_downloaded=False,
                is_locked=False,
                items=lines,
                _config=office_config(sb.settings),
            )
            quote["pdf_url"] = f"{sb.api_base()}/quotes/{quote['id']}.pdf"
            quote.update(totals(lines, quote["_config"], with_tax_subtotals=False))
            state()["quotes"][quote["id"]] = quote
        return sb.json(quote_json(quote), 201)

    @sb.route(bp, "/quotes/<quote_id>.pdf", methods=["GET"])
    def mf_quote_pdf(quote_id):
        quote = found(sb, "quotes", quote_id)
        content = document_pdf_of(quote, "見積書", "quote_number", "quote_date")
        return pdf_response(content, f"quote_{quote['quote_number']}.pdf")

    @sb.route(bp, "/quotes/<quote_id>", methods=["GET", "PUT", "DELETE"])
    def mf_quote(quote_id):
        quote = found(sb, "quotes", quote_id)
        with sb.store.write():
            if request.method == "DELETE":
                del state()["quotes"][quote_id]
                return Response(status=204)
            if request.method == "PUT":
                body = sb.json_body()
                sb.check_body("/quotes/{quote_id}", "put", body)
                if body.get("department_id"):
                    quote.update(document_header(state(), body["department_id"]))
                for key in ("quote_date", "expired_date"):
                    if body.get(key):  # kept as ISO whichever form was sent
                        body[key] = parse_date(body[key], key, slashes=True).isoformat()
                quote.update({k: body[k] for k in QUOTE_FIELDS if k in body})
                quote["updated_at"] = iso(now())
        return sb.json(quote_json(quote))

    @sb.route(bp, "/quotes/<quote_id>/order_status", methods=["PUT"])
    def mf_quote_order_status(quote_id):
        quote = found(sb, "quotes", quote_id)
        body = sb.json_body()
        sb.check_body("/quotes/{quote_id}/order_status", "put", body)
        with sb.store.write():
            quote.update(order_status=ORDER_STATUS[body["order_status"]], updated_at=iso(now()))
        return sb.json(quote_json(quote))

    @sb.route(bp, "/quotes/<quote_id>/convert_to_billing", methods=["POST"])
    def mf_convert_quote(quote_id):
        quote = found(sb, "quotes", quote_id)
        partner = state()["partners"].get(quote["partner_id"]) or {}
        issued = today()
        # Without a partner setting: the end of next month, Money Forward's default term.
        end_of_next_month = {
            "due_month": "next_month",
            "due_date": -1,
            "contingency_day": "keep_as_is",
        }
        due = due_from_setting(partner.get("payment_deadline_setting") or end_of_next_month, issued)
        body = {k: quote[k] for k in ("department_id", "title", "memo", "note", "tag_names")}
        body.update(billing_date=issued.isoformat(), due_date=due.isoformat())
        lines = [{k: v for k, v in line.items() if k != "id"} for line in quote["items"]]
        with sb.store.write():
            billing = build_billing(sb, body, lines)
            state()["billings"][billing["id"]] = billing
        return sb.json(billing_json(billing), 201)
