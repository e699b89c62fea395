"""Billing → Subscriptions, Billing run (the preview of a day's run), Usage (with CSV import).

The subscription's page holds its plan lines, billed periods, changes and usage, and the
verbs: change a line (price or quantity from a day, prorated), add a line, cancel (at the
end of the period or at once with a credit), renew (renewal by decision). Each verb is a
service call under the subscription's row lock (services/billing/subscriptions.py).
"""

from __future__ import annotations

import datetime as dt

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired

from app.extensions import db
from app.models.choices import TAX_RATE_LABELS
from app.models.document_kinds import KINDS
from app.models.subscriptions import (
    Subscription,
    SubscriptionChange,
    SubscriptionLine,
    SubscriptionPeriod,
    SubscriptionUsage,
)
from app.security.permissions import SUBSCRIPTION_VERBS
from app.security.rights import user_may
from app.services import launchers
from app.services.billing import run as billing
from app.services.billing import subscriptions, usage
from app.services.errors import Forbidden, InvalidInput, NotFound
from app.services.sync.clock import business_today
from app.views.crm import CrmView
from app.views.datamodel import datamodel
from app.views.document_data import KeepFormOnRuleError
from app.views.refusals import back_to

INTERVAL_LABELS = {"monthly": _l("Monthly"), "annual": _l("Annual")}
RENEWAL_LABELS = {"automatic": _l("Automatic"), "decision": _l("By decision")}
CHANGE_LABELS = {
    "price": _l("Price change"),
    "quantity": _l("Quantity change"),
    "line": _l("New line"),
    "cancel": _l("Cancellation"),
}
LABELS = {
    "name": _l("Name"),
    "company": _l("Customer"),
    "legal_entity": _l("Issuer"),
    "deal": _l("Deal"),
    "currency": _l("Currency"),
    "interval": _l("Billing interval"),
    "start_date": _l("Start date"),
    "renewal": _l("Renewal"),
    "notice_days": _l("Notice period (days)"),
    "term_months": _l("Term (months)"),
    "renewed_until": _l("Agreed until"),
    "ends_on": _l("Ends on"),
    "cancelled_on": _l("Cancelled on"),
    "subscription": _l("Subscription"),
    "unit_price": _l("Unit price"),
    "quantity": _l("Quantity"),
    "tax_rate": _l("Tax rate"),
    "starts_on": _l("Billed from"),
    "period_start": _l("Period start"),
    "period_end": _l("Period end"),
    "document": _l("Document"),
    "billed_on": _l("Billed on"),
    "kind": _l("Change"),
    "effective_on": _l("Effective on"),
    "amount": _l("Prorated amount"),
    "settled_at": _l("Settled at"),
    "metric": _l("Metric"),
    "used_on": _l("Date"),
    "position": _l("Position"),
}


def _words(mapping):
    return lambda value: mapping.get(value, value)


def _number(value):
    return f"{value.normalize():f}" if hasattr(value, "normalize") else value


class _Related(CrmView):
    class_permission_name = "Subscription"
    method_permission_name = SUBSCRIPTION_VERBS
    base_permissions = ["can_read"]
    include_route_methods = {"list", "show", "csv"}
    label_columns = LABELS
    formatters_columns = {"tax_rate": _words(TAX_RATE_LABELS), "quantity": _number}


class SubscriptionLineView(_Related):
    datamodel = datamodel(
        SubscriptionLine, {"unit_price": "subscription.currency"}, coded=("tax_rate",)
    )
    list_title = _l("Plan lines")
    list_columns = ["name", "unit_price", "quantity", "tax_rate", "starts_on"]
    show_columns = ["subscription", *list_columns]
    base_order = ("position", "asc")


class SubscriptionPeriodView(_Related):
    datamodel = datamodel(SubscriptionPeriod)
    list_title = _l("Billed periods")
    list_columns = ["period_start", "period_end", "document", "billed_on"]
    show_columns = ["subscription", *list_columns]
    base_order = ("period_start", "desc")


class SubscriptionChangeView(_Related):
    datamodel = datamodel(SubscriptionChange, {"amount": "subscription.currency"})
    list_title = _l("Prorated changes")
    list_columns = ["kind", "name", "effective_on", "amount", "document", "settled_at"]
    show_columns = ["subscription", *list_columns]
    base_order = ("effective_on", "desc")
    formatters_columns = {"kind": _words(CHANGE_LABELS)}


class SubscriptionUsageView(_Related):
    """Usage rows of every subscription; Import CSV adds rows (all or none)."""

    route_base = "/subscriptionusage"
    datamodel = datamodel(
        SubscriptionUsage, {"unit_price": "subscription.currency"}, coded=("tax_rate",)
    )
    list_title = _l("Usage")
    list_columns = ["subscription", "metric", "used_on", "quantity", "unit_price", "document"]
    show_columns = [*list_columns, "tax_rate"]
    search_columns = ["subscription", "metric", "used_on"]
    base_order = ("used_on", "desc")
    base_permissions = ["can_read", "can_write"]
    include_route_methods = {"list", "show", "csv", "usage_import"}
    list_template = "renkei/subscription_usage_list.html"

    @expose("/import", methods=["GET", "POST"])
    @has_access
    def usage_import(self):
        """Upload a CSV of usage rows: every row goes in, or none (each bad row named)."""
        back_to(url_for(".list"))
        problems = []
        if request.method == "POST":
            upload = request.files.get("file")
            try:
                if upload is None or not upload.filename:
                    raise usage.UsageRefused([_("Choose a CSV file.")])
                rows = usage.read_csv(upload.read(2_000_000))
                imported = usage.import_rows(rows, user=g.user)
            except usage.UsageRefused as refused:
                db.session.rollback()
                problems = refused.problems
            else:
                flash(_("%(n)s usage rows imported.", n=imported), "success")
                return redirect(url_for(".list"))
        return self.render_template(
            "renkei/subscription_usage_import.html",
            title=_l("Import usage"),
            problems=problems,
            columns=usage.COLUMNS,
        )


class SubscriptionView(KeepFormOnRuleError, CrmView):
    """Subscriptions: one customer's plan, billed per period in advance."""

    route_base = "/subscriptions"
    class_permission_name = "Subscription"
    method_permission_name = SUBSCRIPTION_VERBS
    base_permissions = ["can_read", "can_write"]
    include_route_methods = {
        "list",
        "show",
        "add",
        "edit",
        "csv",
        "change_line",
        "add_line",
        "cancel",
        "renew",
    }
    datamodel = datamodel(Subscription, coded=("interval", "renewal", "currency"))
    list_title = _l("Subscriptions")
    show_title = add_title = edit_title = _l("Subscription")
    label_columns = LABELS
    list_columns = ["name", "company", "interval", "start_date", "renewal", "currency", "ends_on"]
    csv_columns = [
        "name",
        "company.name",
        "interval",
        "start_date",
        "renewal",
        "currency",
        "ends_on",
    ]
    show_columns = [
        "name",
        "company",
        "legal_entity",
        "deal",
        "currency",
        "interval",
        "start_date",
        "renewal",
        "notice_days",
        "term_months",
        "renewed_until",
        "ends_on",
        "cancelled_on",
    ]
    add_columns = [
        "name",
        "company",
        "legal_entity",
        "deal",
        "currency",
        "interval",
        "start_date",
        "renewal",
        "notice_days",
        "term_months",
    ]
    edit_columns = ["name", "deal", "notice_days"]
    search_columns = ["name", "company", "interval", "renewal", "start_date", "ends_on"]
    base_order = ("id", "desc")
    related_views = [SubscriptionLineView, SubscriptionPeriodView, SubscriptionChangeView]
    show_template = "renkei/subscription_show.html"
    csv_words = {"interval": INTERVAL_LABELS, "renewal": RENEWAL_LABELS}
    formatters_columns = {
        "interval": _words(INTERVAL_LABELS),
        "renewal": _words(RENEWAL_LABELS),
    }
    description_columns = {
        "start_date": _l(
            "Periods start on this day of each month (or year); on the month's last day when "
            "it has none (Jan 31 → Feb 28/29 → Mar 31)."
        ),
        "notice_days": _l(
            "Days before a period's end by which a cancellation at period end must be given "
            "(renewal by decision: before the agreed term ends)."
        ),
    }
    add_form_extra_fields = {
        "interval": SelectField(
            _l("Billing interval"),
            choices=list(INTERVAL_LABELS.items()),
            validators=[DataRequired()],
        ),
        "renewal": SelectField(
            _l("Renewal"), choices=list(RENEWAL_LABELS.items()), validators=[DataRequired()]
        ),
    }

    def pre_add(self, item):
        if item.start_date is not None:
            subscriptions.check_day(item.start_date, "start_date")
        if not 0 <= (item.notice_days or 0) <= 365:
            raise InvalidInput(_("The notice period is 0 to 365 days."), "notice_days")
        if not 1 <= (item.term_months or 12) <= 120:
            raise InvalidInput(_("The term is 1 to 120 months."), "term_months")
        if item.renewal == "decision" and item.start_date is not None:
            from app.services.billing.periods import add_months

            item.renewed_until = add_months(item.start_date, item.term_months or 12)
        item.created_by_id = getattr(g.user, "id", None)

    def pre_update(self, item):
        if not 0 <= (item.notice_days or 0) <= 365:
            raise InvalidInput(_("The notice period is 0 to 365 days."), "notice_days")

    def _subscription(self, pk) -> Subscription:
        subscription = db.session.get(Subscription, pk)
        if subscription is None:
            raise NotFound(_("No subscription %(id)s.", id=pk))
        return subscription

    def _may_write(self):
        if not user_may(g.user, "can_write", "Subscription"):
            raise Forbidden(_("You may not change subscriptions (it needs can_write)."))

    def render_template(self, template, **kwargs):
        if template == self.show_template and kwargs.get("pk") is not None:
            subscription = db.session.get(Subscription, kwargs["pk"])
            if subscription is not None:
                today = business_today()
                kwargs.update(
                    subscription=subscription,
                    today=today,
                    next_billing=billing.next_billing(subscription, today),
                    decision_due=subscriptions.decision_due(subscription),
                    may_write=user_may(g.user, "can_write", "Subscription"),
                    usage_rows=db.session.query(SubscriptionUsage)
                    .filter_by(subscription_id=subscription.id)
                    .order_by(SubscriptionUsage.used_on.desc())
                    .limit(50)
                    .all(),
                    invoice_view=KINDS["invoice"].view_name,
                    tax_labels=TAX_RATE_LABELS,
                )
        return super().render_template(template, **kwargs)

    def _day(self, name="effective_on"):
        raw = (request.form.get(name) or "").strip()
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise InvalidInput(_("Give the date as YYYY-MM-DD."), name) from None

    @expose("/change_line/<int:pk>", methods=["POST"])
    @has_access
    def change_line(self, pk):
        """Change one plan line's price and/or quantity from a day (prorated)."""
        line = db.session.get(SubscriptionLine, pk)
        if line is None:
            raise NotFound(_("No plan line %(id)s.", id=pk))
        page = url_for(".show", pk=line.subscription_id)
        back_to(page)
        self._may_write()
        change = subscriptions.change_line(
            line,
            user=g.user,
            unit_price=request.form.get("unit_price") or None,
            quantity=request.form.get("quantity") or None,
            effective_on=self._day(),
        )
        flash(
            _("The line was changed.")
            if change is None
            else _(
                "The line was changed; %(amount)s prorated for %(start)s–%(end)s.",
                amount=change.amount,
                start=change.period_start,
                end=change.period_end,
            ),
            "success",
        )
        return redirect(page)

    @expose("/add_line/<int:pk>", methods=["POST"])
    @has_access
    def add_line(self, pk):
        """Add a plan line billed from a day (its first period prorated)."""
        subscription = self._subscription(pk)
        page = back_to(url_for(".show", pk=pk))
        self._may_write()
        subscriptions.add_line(
            subscription,
            {k: request.form.get(k) for k in ("name", "unit_price", "quantity", "tax_rate")},
            user=g.user,
            effective_on=self._day(),
        )
        flash(_("The line was added."), "success")
        return redirect(page)

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel(self, pk):
        """Cancel at the end of the period, or at once with a credit for the unused days."""
        subscription = self._subscription(pk)
        page = back_to(url_for(".show", pk=pk))
        self._may_write()
        at_once = request.form.get("when") == "now"
        subscriptions.cancel(subscription, at_once=at_once, user=g.user)
        flash(
            _("Cancelled: nothing is invoiced from %(day)s.", day=subscription.ends_on), "success"
        )
        return redirect(page)

    @expose("/renew/<int:pk>", methods=["POST"])
    @has_access
    def renew(self, pk):
        """Renewal by decision: extend the agreed term."""
        subscription = self._subscription(pk)
        page = back_to(url_for(".show", pk=pk))
        self._may_write()
        subscriptions.renew(subscription, user=g.user)
        flash(_("Renewed until %(day)s.", day=subscription.renewed_until), "success")
        return redirect(page)


class SubscriptionBillingView(BaseView):
    """The preview of a day's billing run (a dry run: nothing is written), and Bill now."""

    route_base = "/subscriptionbilling"
    class_permission_name = "Subscription"
    method_permission_name = SUBSCRIPTION_VERBS
    base_permissions = ["can_read", "can_run"]
    default_view = "preview"

    @expose("/")
    @has_access
    def preview(self):
        """What the run of a day (default today, Tokyo) would invoice, for which period, why."""
        today = business_today()
        day = today
        raw = request.args.get("day", "")
        if raw:
            try:
                day = dt.date.fromisoformat(raw)
                subscriptions.check_day(day, "day")
            except (ValueError, InvalidInput):
                flash(_("The day was not a date between 2000 and 2100; showing today."), "warning")
                day = today
        planned = billing.plan(day)
        upcoming = [
            (s, billing.next_billing(s, day))
            for s in db.session.query(Subscription).order_by(Subscription.id).limit(500)
            if not any(p.subscription.id == s.id for p in planned)
        ]
        from app.jobs.billing import BILLING_HOUR

        return self.render_template(
            "renkei/subscription_preview.html",
            title=_l("Billing run"),
            day=day,
            today=today,
            hour=BILLING_HOUR,
            planned=planned,
            upcoming=upcoming,
            tax_labels=TAX_RATE_LABELS,
            may_run=user_may(g.user, "can_run", "Subscription") and day == today,
        )

    @expose("/bill_now", methods=["POST"])
    @has_access
    def bill_now(self):
        """Run today's billing now (queued; each period is still billed once)."""
        back_to(url_for(".preview"))
        launchers.launch(billing.BILL_NOW_JOB, as_user=g.user.id)
        flash(_("Today's subscription invoices are being made."), "info")
        return redirect(url_for(".preview"))


def register_subscription_views(appbuilder) -> None:
    """Billing → Subscriptions, Billing run, Usage."""
    appbuilder.add_view(
        SubscriptionView,
        "Subscriptions",
        label=_l("Subscriptions"),
        icon="fa-sync",
        category="Billing",
        category_label=_l("Billing"),
        category_icon="fa-file-invoice-dollar",
    )
    appbuilder.add_view(
        SubscriptionBillingView,
        "Billing run",
        label=_l("Billing run"),
        icon="fa-calendar-check",
        category="Billing",
    )
    appbuilder.add_view(
        SubscriptionUsageView, "Usage", label=_l("Usage"), icon="fa-chart-bar", category="Billing"
    )
    for view in (SubscriptionLineView, SubscriptionPeriodView, SubscriptionChangeView):
        appbuilder.add_view_no_menu(view)
