"""Documents → Receivables: per company and currency, what is open, how old the overdue
part is (ageing buckets, Tokyo days) and what came in this month (Tokyo), each figure a
link to the invoices behind it; one page of companies at a time, sortable."""

from __future__ import annotations

from flask import request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.document_kinds import KINDS
from app.security.permissions import READ_ONLY_VERBS
from app.services.documents.receivables import BUCKETS, DEFAULT_PAGE_SIZE, SORTS, summary
from app.views.money import Money

BUCKET_LABELS = {
    "current": _l("Not yet due"),
    "days_1_30": _l("1–30 days"),
    "days_31_60": _l("31–60 days"),
    "days_61_90": _l("61–90 days"),
    "days_over_90": _l("Over 90 days"),
}
SORT_LABELS = {
    "company": _l("Company"),
    "open": _l("Open balance"),
    "overdue": _l("Overdue"),
    "oldest_due": _l("Oldest due date"),
}
MAX_PAGE_SIZE = 500


def _invoices_url(state: str, company_id: int | None = None, currency: str | None = None):
    # The invoice list's filters: _flt_<index>_<column> (state "Is", company "Equal").
    args = {"_flt_0_state": state}
    if company_id:
        args["_flt_0_company"] = company_id
    if currency:
        args["_flt_0_currency"] = currency
    return url_for(f"{KINDS['invoice'].view_name}.list", **args)


def _shown(row) -> dict:
    return {
        "company": row.company,
        "company_id": row.company_id,
        "currency": row.currency,
        "open": Money(row.open_balance, row.currency),
        "overdue": Money(row.overdue_balance, row.currency),
        "paid": Money(row.paid_this_month, row.currency),
        "ageing": [(name, Money(row.ageing[name], row.currency)) for name, _f, _l in BUCKETS],
        "oldest_due": row.oldest_due,
        "open_invoices": row.open_invoices,
        "overdue_invoices": row.overdue_invoices,
        "has_overdue": row.overdue_balance > 0,
        "open_url": _invoices_url("open", row.company_id or None, row.currency),
        "overdue_url": _invoices_url("overdue", row.company_id or None, row.currency),
    }


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.args.get(name, default))
    except ValueError:
        return default
    return min(max(value, low), high)


class ReceivablesView(BaseView):
    """The receivables summary."""

    route_base = "/receivables"
    class_permission_name = "ReceivablesSummary"
    method_permission_name = READ_ONLY_VERBS
    default_view = "summary"

    @expose("/")
    @has_access
    def summary(self):
        """A page of open, overdue (by age) and paid-this-month per company and currency.

        ``?sort=company|open|overdue|oldest_due&desc=1&page=0&psize=50``."""
        sort = request.args.get("sort", "company")
        if sort not in SORTS:
            sort = "company"
        descending = request.args.get("desc") == "1"
        page_size = _int_arg("psize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        page = _int_arg("page", 0, 0, 1_000_000)
        result = summary(
            db.session, page=page, page_size=page_size, sort=sort, descending=descending
        )
        pages = max((result.count + page_size - 1) // page_size, 1)

        def link(**changes):
            args = {"sort": sort, "desc": "1" if descending else "0", "page": page}
            args["psize"] = page_size
            args.update(changes)
            return url_for(".summary", **args)

        headers = {
            name: {
                "label": label,
                "url": link(sort=name, desc="0" if sort == name and descending else "1")
                if name != "company"
                else link(sort=name, desc="1" if sort == name and not descending else "0"),
                "active": sort == name,
            }
            for name, label in SORT_LABELS.items()
        }
        return self.render_template(
            "renkei/receivables.html",
            title=_l("Receivables"),
            rows=[_shown(r) for r in result.rows],
            totals=[_shown(r) for r in result.totals],
            month_start=result.month_start,
            buckets=[(name, BUCKET_LABELS[name]) for name, _f, _l in BUCKETS],
            headers=headers,
            descending=descending,
            count=result.count,
            page=page,
            pages=pages,
            previous_url=link(page=page - 1) if page > 0 else None,
            next_url=link(page=page + 1) if page + 1 < pages else None,
        )
