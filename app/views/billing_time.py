"""Billing → Time entries: enter time (one's own; a manager also others'), approve or
reject (never one's own), invoice a period (one invoice per project). Rights:
permissions.TIME_ENTRY_VERBS."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.crm import Deal
from app.models.time_entries import TIME_STATES, TimeEntry
from app.security.permissions import TIME_ENTRY_VERBS
from app.security.rights import user_may
from app.services.billing import time_entries as tm
from app.services.errors import InvalidInput, NotFound
from app.views.document_page import document_url
from app.views.followups import parse_day
from app.views.list_arguments import integer_error
from app.views.money import Money
from app.views.refusals import back_to

STATE_LABELS = {
    "pending": _l("Pending"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
}


def _record(model, value, field):
    if value in (None, "") or integer_error(value):
        raise InvalidInput(_("Choose one."), field=field)
    found = db.session.get(model, int(value))
    if found is None:
        raise InvalidInput(_("Choose one."), field=field)
    return found


def _day(value, field):
    found = parse_day(value, field)
    if found is None:
        raise InvalidInput(_("Give the date as YYYY-MM-DD."), field=field)
    return found


class TimeEntriesView(BaseView):
    """Time entries, newest first, with what each awaits."""

    route_base = "/timeentries"
    class_permission_name = "TimeEntry"
    method_permission_name = TIME_ENTRY_VERBS
    base_permissions = ["can_read", "can_write", "can_approve", "can_invoice"]
    default_view = "list"

    @expose("/list/")
    @has_access
    def list(self):
        state = request.args.get("state")
        query = db.session.query(TimeEntry)
        if state in TIME_STATES:
            query = query.filter(TimeEntry.state == state)
        entries = query.order_by(TimeEntry.work_date.desc(), TimeEntry.id.desc()).limit(300)
        manager = user_may(g.user, "can_approve", "TimeEntry")
        rows = [
            {
                "entry": e,
                "state_label": STATE_LABELS[e.state],
                "rate": Money(e.rate, e.currency),
                "amount": Money(e.rate * e.hours, e.currency),
                "document_url": document_url(e.document) if e.document is not None else None,
                "may_decide": manager
                and e.state == "pending"
                and g.user.id not in (e.user_id, e.created_by_id),
            }
            for e in entries
        ]
        return self.render_template(
            "renkei/billing_time.html",
            title=_l("Time entries"),
            rows=rows,
            state=state,
            states=STATE_LABELS,
            deals=db.session.query(Deal).order_by(Deal.title).limit(500).all(),
            people=db.session.query(User).order_by(User.username).all() if manager else [],
            may_write=user_may(g.user, "can_write", "TimeEntry"),
            may_invoice=user_may(g.user, "can_invoice", "TimeEntry"),
            manager=manager,
        )

    @expose("/add", methods=["POST"])
    @has_access
    def create(self):
        back_to(url_for(".list"))
        form = request.form
        person = None
        if form.get("user_id"):
            person = _record(User, form.get("user_id"), "user_id")
        tm.enter(
            g.user,
            deal=_record(Deal, form.get("deal_id"), "deal_id"),
            person=person,
            work_date=_day(form.get("work_date"), "work_date"),
            hours=form.get("hours", ""),
            rate=form.get("rate", ""),
            description=form.get("description", ""),
        )
        flash(_("Time entered: it waits for a manager's approval."), "info")
        return redirect(url_for(".list"))

    def _entry(self, pk) -> TimeEntry:
        entry = db.session.get(TimeEntry, pk)
        if entry is None:
            raise NotFound(_("No time entry %(id)s.", id=pk))
        return entry

    @expose("/approve/<int:pk>", methods=["POST"])
    @has_access
    def approve(self, pk):
        back_to(url_for(".list"))
        tm.approve(self._entry(pk), g.user)
        return redirect(url_for(".list", state="pending"))

    @expose("/reject/<int:pk>", methods=["POST"])
    @has_access
    def reject(self, pk):
        back_to(url_for(".list"))
        tm.reject(self._entry(pk), g.user, request.form.get("reason"))
        return redirect(url_for(".list", state="pending"))

    @expose("/invoice", methods=["POST"])
    @has_access
    def invoice_period(self):
        back_to(url_for(".list"))
        start = _day(request.form.get("start"), "start")
        end = _day(request.form.get("end"), "end")
        made = tm.invoice_all(start, end, g.user)
        if made:
            flash(
                _(
                    "%(n)s invoices made: %(numbers)s.",
                    n=len(made),
                    numbers=", ".join(d.number or str(d.id) for d in made),
                ),
                "success",
            )
        else:
            flash(_("Nothing to invoice in that period."), "info")
        return redirect(url_for(".list"))
