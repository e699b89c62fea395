"""Documents → Receivables: per company and currency, what is open, what of it is overdue
and what came in this month (Tokyo), each figure a link to the invoices behind it."""

from __future__ import annotations

from flask import url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.document_kinds import KINDS
from app.security.permissions import READ_ONLY_VERBS
from app.services.documents.receivables import summary
from app.views.money import Money


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
        "open_invoices": row.open_invoices,
        "overdue_invoices": row.overdue_invoices,
        "has_overdue": row.overdue_balance > 0,
        "open_url": _invoices_url("open", row.company_id or None, row.currency),
        "overdue_url": _invoices_url("overdue", row.company_id or None, row.currency),
    }


class ReceivablesView(BaseView):
    """The receivables summary."""

    route_base = "/receivables"
    class_permission_name = "ReceivablesSummary"
    method_permission_name = READ_ONLY_VERBS
    default_view = "summary"

    @expose("/")
    @has_access
    def summary(self):
        """Open, overdue and paid-this-month per company and currency."""
        result = summary(db.session)
        return self.render_template(
            "renkei/receivables.html",
            title=_l("Receivables"),
            rows=[_shown(r) for r in result.rows],
            totals=[_shown(r) for r in result.totals],
            month_start=result.month_start,
        )
