"""The home page: what waits for the signed-in person today, this month's payments and
three charts (receivables ageing, cash collected per week, pipeline by stage), each figure
a link to the filtered list behind it. Who sees which part follows their rights; the
figures come from app/services/home.py (one aggregated statement each)."""

from __future__ import annotations

import datetime as dt

from flask import g, url_for
from flask_appbuilder import IndexView, expose
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from app.models.document_kinds import KINDS
from app.services import home
from app.services.documents.lifecycle import today_tokyo
from app.services.pipeline import pipeline_by_stage
from app.views.money import Money

AGE_LABELS = {
    "1-30": _l("1–30 days"),
    "31-60": _l("31–60 days"),
    "61-90": _l("61–90 days"),
    "90+": _l("90+ days"),
    home.NOT_DUE: _l("Not yet due"),
}
RIGHTS = {
    "approvals": ("can_approve", "Document"),
    "approval_queue": ("can_read", "ApprovalQueue"),
    "receivables": ("can_read", "ReceivablesSummary"),
    "invoices": ("can_read", KINDS["invoice"].resource),
    "sync": ("can_read", "SyncHistory"),
    "mismatches": ("can_read", "Mismatch"),
    "deals": ("can_read", "Deal"),
}


def _invoices_url(**args) -> str:
    return url_for(f"{KINDS['invoice'].view_name}.list", **args)


def age_url(bucket: str, today: dt.date) -> str:
    """The invoice list showing exactly the invoices of one age bucket."""
    if bucket == home.NOT_DUE:
        return _invoices_url(_flt_0_state="open", _flt_0_due_date=today.isoformat())
    earliest, latest = home.age_bounds(bucket, today)
    args = {"_flt_0_state": "overdue", "_flt_1_due_date": latest.isoformat()}
    if earliest is not None:
        args["_flt_0_due_date"] = earliest.isoformat()
    return _invoices_url(**args)


def _chart_number(amount) -> float:
    return float(amount)  # drawing only; the table and tiles show the exact Decimal


def _ageing_part(session, today, may):
    result = home.ageing(session, today)
    buckets = [key for key, _low, _high in home.AGE_BUCKETS]
    links = may("invoices")
    rows = []
    for key in [home.NOT_DUE, *buckets]:
        for currency in result.currencies() or ["JPY"]:
            figure = result.figure(key, currency)
            rows.append(
                {
                    "key": key,
                    "label": AGE_LABELS[key],
                    "currency": currency,
                    "count": figure.count,
                    "amount": Money(figure.amount, currency),
                    "url": age_url(key, today) if links else None,
                }
            )
    main = (result.currencies() or ["JPY"])[0]
    order = [home.NOT_DUE, *buckets]
    chart = {
        "kind": "bar",
        "currency": main,
        "labels": [str(AGE_LABELS[k]) for k in order],
        "values": [_chart_number(result.figure(k, main).amount) for k in order],
        "urls": [age_url(k, today) if links else None for k in order],
        "colors": ["#5b8fd1", "#f0ad4e", "#ec8a3c", "#d9534f", "#a12b27"],
    }
    overdue = [
        {
            "key": key,
            "label": AGE_LABELS[key],
            "count": sum(result.figure(key, c).count for c in result.currencies()),
            "amounts": [
                Money(result.figure(key, c).amount, c)
                for c in result.currencies()
                if result.figure(key, c).count
            ],
            "url": age_url(key, today) if links else None,
        }
        for key in buckets
    ]
    return rows, overdue, chart


def _cash_part(session, today, may):
    starts, per = home.payments_by_week(session, today)
    currencies = sorted(per, key=lambda c: (c != "JPY", c)) or ["JPY"]
    main = currencies[0]
    link = url_for("ReceivablesView.summary") if may("receivables") else None
    labels = [format_date(day, "MMM d") for day in starts]
    rows = [
        {
            "label": labels[i],
            "week": day,
            "currency": currency,
            "amount": Money(per.get(currency, [0] * len(starts))[i], currency),
        }
        for i, day in enumerate(starts)
        for currency in currencies
    ]
    chart = {
        "kind": "bar",
        "currency": main,
        "labels": labels,
        "values": [_chart_number(v) for v in per.get(main, [0] * len(starts))],
        "urls": [link] * len(starts),
        "colors": ["#3c9a5f"],
    }
    return rows, chart, link


def _pipeline_part(session):
    pipeline = pipeline_by_stage(session)
    for row in pipeline:
        row.amount_shown = Money(row.amount, row.currency)
        row.url = url_for("DealView.list", _flt_0_stage=row.stage)
    currencies = sorted({r.currency for r in pipeline}, key=lambda c: (c != "JPY", c))
    main = currencies[0] if currencies else "JPY"
    shown = [r for r in pipeline if r.currency == main]
    chart = {
        "kind": "hbar",
        "currency": main,
        "labels": [r.label for r in shown],
        "values": [_chart_number(r.amount) for r in shown],
        "urls": [r.url for r in shown],
        "colors": ["#6f5bd1"],
    }
    return pipeline, chart


def _waiting_extra(session, user, today, has):
    """Counts other features registered (reminders due …), for those with the right."""
    return [
        {"key": s.key, "label": s.label, "count": s.count(session, user, today), "url": s.url()}
        for s in home.WAITING_SOURCES
        if has(*s.right)
    ]


class RenkeiIndexView(IndexView):
    index_template = "renkei/index.html"

    @expose("/")
    def index(self):
        """The home page: each part only for those who may read what it counts."""
        user = getattr(g, "user", None)
        parts: dict = {}
        if user is not None and user.is_authenticated:
            parts = self._parts(user)
        return self.render_template(self.index_template, appbuilder=self.appbuilder, **parts)

    def _parts(self, user) -> dict:
        session = self.appbuilder.session
        has = self.appbuilder.sm.has_access

        def may(name):
            return has(*RIGHTS[name])

        today = today_tokyo()
        parts: dict = {"today": today, "charts": {}}
        if may("approvals"):
            parts["approvals"] = home.approvals_waiting(session, user)
            parts["approvals_url"] = (
                url_for("ApprovalQueueView.list") if may("approval_queue") else None
            )
        if may("receivables"):
            ageing_rows, overdue, parts["charts"]["ageing"] = _ageing_part(session, today, may)
            parts["ageing_rows"], parts["overdue"] = ageing_rows, overdue
            parts["cash_rows"], parts["charts"]["cash"], parts["payments_url"] = _cash_part(
                session, today, may
            )
            parts["payments"] = [
                {"currency": c, "count": f.count, "amount": Money(f.amount, c)}
                for c, f in sorted(home.payments_this_month(session, today).items())
            ]
        if may("sync"):
            parts["failed_syncs"] = home.failed_syncs(session, today)
            parts["failed_syncs_url"] = url_for(
                "SyncRunView.list",
                _flt_0_status="failed",
                _flt_1_queued_at=home.failed_since(today).strftime("%Y-%m-%d %H:%M:%S"),
            )
        if may("mismatches"):
            from app.services.sync.mismatch_report import open_count

            parts["mismatches"] = open_count()
        if may("deals"):
            parts["pipeline"], parts["charts"]["pipeline"] = _pipeline_part(session)
        parts["waiting_extra"] = _waiting_extra(session, user, today, has)
        return parts
