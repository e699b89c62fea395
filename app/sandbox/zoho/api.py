"""Helpers shared by the Zoho routes: body parsing, replies, paging, look-ups."""

from __future__ import annotations

import json
from decimal import Decimal

from flask import g, request

from ..common import ApiError, page_args, paginate, parse_time
from .model import ID_BASE

SORTABLE = {"customer_name", "date", "due_date", "expiry_date", "total", "balance", "rate"}
SORTABLE |= {"created_time", "last_modified_time", "invoice_number", "estimate_number"}
SORTABLE |= {"contact_name", "name"}
NUMERIC = {"total", "balance", "rate"}


def next_id(sb) -> str:
    """Zoho ids: long numeric strings from one increasing sequence."""
    return str(ID_BASE + sb.next_id("id"))


def body() -> dict:
    """The JSON body, or Zoho's ``JSONString`` form / query parameter."""
    data = request.get_json(silent=True)
    if data is None and request.values.get("JSONString"):
        try:
            data = json.loads(request.values["JSONString"])
        except ValueError:
            data = None
    if not isinstance(data, dict):
        raise ApiError(400, "Invalid value passed for JSONString", code=4)
    return data


def ok(sb, message: str, status: int = 200, **payload):
    return sb.json({"code": 0, "message": message, **payload}, status)


def mine(sb, kind: str) -> list[dict]:
    """Records of the organisation the request names."""
    return [r for r in sb.state[kind].values() if r["_org"] == g.zoho_org]


def found(sb, kind: str, key: str, label: str) -> dict:
    record = sb.state[kind].get(key)
    if record is None or record["_org"] != g.zoho_org:
        raise ApiError(404, f"{label} does not exist.")
    return record


def listing(rows: list[dict], report: str, default_sort: str) -> tuple[list[dict], dict]:
    """One page of ``rows`` and Zoho's page_context (has_more_page …)."""
    page, per_page = page_args(request.args, 200, 200)
    column = request.args.get("sort_column", default_sort)
    if column not in SORTABLE:
        raise ApiError(400, "", "sort_column")
    order = request.args.get("sort_order", "D" if column.endswith("_time") else "A")
    if order not in ("A", "D"):
        raise ApiError(400, "", "sort_order")
    if request.args.get("last_modified_time"):
        try:
            since = parse_time(request.args["last_modified_time"])
        except ValueError:
            raise ApiError(400, "", "last_modified_time") from None
        rows = [r for r in rows if parse_time(r["last_modified_time"]) >= since]

    def key(row):
        value = row.get(column, "")
        return Decimal(str(value or 0)) if column in NUMERIC else str(value)

    rows = sorted(rows, key=key, reverse=order == "D")
    data, _ = paginate(rows, page, per_page)
    context = {
        "page": page,
        "per_page": per_page,
        "has_more_page": page * per_page < len(rows),
        "report_name": report,
        "applied_filter": "Status.All",
        "sort_column": column,
        "sort_order": order,
    }
    return data, context
