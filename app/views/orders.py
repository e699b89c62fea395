"""Billing → Orders, Closings, Billing settings (wholesale, issue 17).

The order page shows each line ordered / shipped / backordered / billed, the shipments
(with their invoice, or "Invoice" when a per-shipment customer's invoice was voided), the
invoices with their state and balance, and a form to post a shipment. The closings page
lists the monthly customers with their latest closable period and a "Close" button.
Every verb is a service call (app/services/billing/orders.py); refusals flash.
"""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, ModelView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import AnyOf, DataRequired, NumberRange

from app.extensions import db
from app.models.choices import currency_choices, tax_rate_choices
from app.models.crm import Company
from app.models.document_kinds import KINDS
from app.models.orders import BillingSetting, ClosingRun, SalesOrder, Shipment
from app.security.permissions import CLOSING_VERBS, ORDER_VERBS, SCREEN_VERBS
from app.security.rights import user_may
from app.services.billing import closing, orders
from app.services.documents.lifecycle import STATE_LABELS, today_tokyo
from app.services.errors import NotFound
from app.views.datamodel import datamodel
from app.views.document_data import KeepFormOnRuleError
from app.views.money import Money
from app.views.refusals import back_to
from app.views.widgets import LinkedListWidget

OPEN_PERIODS_SHOWN = 6  # how many past periods the closings page offers to close
MODE_LABELS = {"per_shipment": _l("One invoice per shipment"), "monthly": _l("Monthly closing")}


def _number(value) -> str:
    return format(Decimal(value or 0).normalize(), "f")


def invoice_url(document) -> str:
    return url_for(f"{KINDS['invoice'].view_name}.show", pk=document.id)


def terms_in_words(setting: BillingSetting | None) -> str:
    """The customer's billing in words (per shipment, or 締め日 and 支払サイト)."""
    if setting is None:
        return str(MODE_LABELS["per_shipment"])
    words = str(MODE_LABELS[setting.mode])
    return f"{words} — {orders.payment_terms_label(setting)}"


ORDER_STATUS_LABELS = {
    "not_shipped": _l("Nothing shipped yet"),
    "unbilled": _l("Shipped, not all billed"),
    "billed": _l("Billed, awaiting payment"),
    "partially_paid": _l("Partly paid"),
    "paid": _l("Paid"),
}


def order_status(order: SalesOrder) -> dict:
    """Per line: ordered, shipped, backordered, billed; the order's invoices; its status."""
    figures = orders.figures(order)
    billed = figures.billed
    lines = [
        {
            "id": line.id,
            "name": line.name,
            "unit_price": Money(line.unit_price, order.currency),
            "tax_rate": line.tax_rate,
            "ordered": _number(line.quantity),
            "shipped": _number(line.shipped_quantity),
            "backorder": _number(line.backorder),
            "backorder_value": line.backorder,
            "billed": _number(billed.get(line.id, 0)),
            "unbilled": _number(Decimal(line.shipped_quantity) - billed.get(line.id, 0)),
        }
        for line in order.lines
    ]
    balances = figures.balances
    return {
        "lines": lines,
        "status": figures.status,
        "status_label": ORDER_STATUS_LABELS[figures.status],
        "invoices": [
            {
                "id": d.id,
                "url": invoice_url(d),
                "number": d.number or f"#{d.id}",
                "state": d.state,
                "state_label": STATE_LABELS.get(d.state, d.state),
                "total": d.total,
                "total_shown": Money(d.total, d.currency),
                "balance": balances.get(d.id, d.total),
                "balance_shown": Money(balances.get(d.id, d.total), d.currency),
                "due_date": d.due_date,
            }
            for d in figures.invoices
        ],
        "fully_shipped": all(line.backorder <= 0 for line in order.lines),
    }


class SalesOrderView(KeepFormOnRuleError, ModelView):
    """Sales orders (受注): the list, a new order's header, and each order's page."""

    route_base = "/salesorders"
    class_permission_name = "SalesOrder"
    method_permission_name = ORDER_VERBS
    base_permissions = ["can_read", "can_write", "can_ship", "can_bill"]
    include_route_methods = {"list", "show", "add", "edit", "page", "add_line", "ship"}
    datamodel = datamodel(SalesOrder)
    list_widget = LinkedListWidget
    list_title = _l("Orders")
    show_title = add_title = edit_title = _l("Order")
    label_columns = {
        "number": _l("Order number"),
        "company": _l("Customer"),
        "order_date": _l("Order date"),
        "currency": _l("Currency"),
        "customer_reference": _l("Customer's PO number"),
        "notes": _l("Notes"),
        "created_at": _l("Created"),
    }
    list_columns = ["number", "company", "order_date", "currency", "customer_reference"]
    add_columns = ["company", "order_date", "currency", "customer_reference", "notes"]
    edit_columns = ["customer_reference", "notes"]
    show_columns = ["number", *add_columns]
    search_columns = ["number", "company", "order_date", "customer_reference"]
    base_order = ("id", "desc")
    add_form_extra_fields = {
        "currency": SelectField(
            _l("Currency"), choices=currency_choices(), default="JPY", validators=[DataRequired()]
        ),
    }

    def pre_add(self, item):
        item.order_date = item.order_date or today_tokyo()
        orders.check_currency(item.company, item.currency)
        item.created_by = g.user

    def post_add(self, item):
        item.number = f"SO-{item.id:06d}"
        db.session.commit()

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """An order's page (FAB's show page is replaced by it)."""
        if not str(pk).isdigit():
            abort(404)
        return redirect(url_for(".page", pk=int(pk)))

    def _order(self, pk) -> SalesOrder:
        order = db.session.get(SalesOrder, pk) if pk < 2**63 else None
        if order is None:
            raise NotFound(_("No order %(id)s.", id=pk))
        return order

    @expose("/page/<int:pk>")
    @has_access
    def page(self, pk):
        """Lines ordered / shipped / backordered / billed, shipments, invoices."""
        order = self._order(pk)
        setting = orders.setting_of(order.company)
        status = order_status(order)
        return self.render_template(
            "renkei/sales_order.html",
            title=_l("Order"),
            order=order,
            status=status,
            setting=setting,
            terms=terms_in_words(setting),
            today=today_tokyo().isoformat(),
            shipments=order.shipments,
            invoice_url=invoice_url,
            number=_number,
            may_ship=user_may(g.user, "can_ship", "SalesOrder"),
            may_bill=user_may(g.user, "can_bill", "SalesOrder"),
            may_write=user_may(g.user, "can_write", "SalesOrder"),
            monthly=setting is not None and setting.mode == "monthly",
            tax_choices=tax_rate_choices(),
        )

    @expose("/page/<int:pk>/ship", methods=["POST"])
    @has_access
    def ship(self, pk):
        """Post a shipment: a quantity per line (``qty-<line id>``), a date, a note."""
        back_to(url_for(".page", pk=pk))
        order = self._order(pk)
        quantities = {
            key[4:]: value.strip()
            for key, value in request.form.items()
            if key.startswith("qty-") and value.strip()
        }
        posted = orders.post_shipment(
            order,
            quantities,
            g.user,
            shipped_on=request.form.get("shipped_on") or None,
            note=request.form.get("note") or None,
        )
        if posted.invoice is not None:
            flash(
                _(
                    "Shipment %(number)s posted; invoice %(invoice)s made.",
                    number=posted.shipment.number,
                    invoice=posted.invoice.number,
                ),
                "success",
            )
        else:
            flash(_("Shipment %(number)s posted.", number=posted.shipment.number), "success")
        return redirect(url_for(".page", pk=pk))

    @expose("/page/<int:pk>/line", methods=["POST"])
    @has_access
    def add_line(self, pk):
        """Add a line to the order."""
        back_to(url_for(".page", pk=pk))
        order = self._order(pk)
        data = {
            "name": request.form.get("name") or None,
            "unit_price": request.form.get("unit_price") or None,
            "quantity": request.form.get("quantity") or None,
            "tax_rate": request.form.get("tax_rate") or None,
        }
        orders.add_line(order, data, g.user)
        flash(_("Line added."), "success")
        return redirect(url_for(".page", pk=pk))


class ShipmentInvoiceView(BaseView):
    """ "Invoice" on a shipment whose invoice was voided (per-shipment customers)."""

    route_base = "/shipments"
    class_permission_name = "SalesOrder"
    method_permission_name = ORDER_VERBS
    base_permissions = ["can_bill"]

    @expose("/<int:pk>/invoice", methods=["POST"])
    @has_access
    def invoice_shipment(self, pk):
        shipment = db.session.get(Shipment, pk) if pk < 2**63 else None
        if shipment is None:
            raise NotFound(_("No shipment %(id)s.", id=pk))
        back_to(url_for("SalesOrderView.page", pk=shipment.order_id))
        invoice = orders.invoice_shipment(shipment, g.user)
        flash(_("Invoice %(number)s made.", number=invoice.number), "success")
        return redirect(url_for("SalesOrderView.page", pk=shipment.order_id))


class ClosingView(BaseView):
    """Monthly closings: each monthly customer's latest closable period, and its runs."""

    route_base = "/closings"
    class_permission_name = "SalesOrder"
    method_permission_name = CLOSING_VERBS
    base_permissions = ["can_read", "can_bill"]
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        today = today_tokyo()
        rows = []
        settings = (
            db.session.query(BillingSetting)
            .join(Company)
            .filter(BillingSetting.mode == "monthly")
            .order_by(Company.name)
            .all()
        )
        for setting in settings:
            end = closing.latest_closed_date(today, setting.closing_day)
            start, _end = closing.period(end, setting.closing_day)
            closed = {
                r.period_end: r
                for r in db.session.query(ClosingRun).filter_by(
                    company_id=setting.company_id, active=True
                )
            }
            run = closed.get(end)
            open_periods, day = [], end
            for _step in range(OPEN_PERIODS_SHOWN):  # the latest periods not closed, newest first
                if day not in closed:
                    open_periods.append(day)
                day = closing.previous_closing_date(day, setting.closing_day)
            rows.append(
                {
                    "company": setting.company,
                    "terms": orders.payment_terms_label(setting),
                    "start": start,
                    "end": end,
                    "due": closing.due_date(end, setting.pay_months, setting.pay_day),
                    "run": run,
                    "open_periods": open_periods,
                    "next": closing.closing_date_on_or_after(today, setting.closing_day),
                }
            )
        runs = db.session.query(ClosingRun).order_by(ClosingRun.id.desc()).limit(50).all()
        return self.render_template(
            "renkei/closings.html",
            title=_l("Closings"),
            rows=rows,
            runs=runs,
            today=today.isoformat(),
            invoice_url=invoice_url,
            may_bill=user_may(g.user, "can_bill", "SalesOrder"),
        )

    @expose("/<int:company_id>/close", methods=["POST"])
    @has_access
    def close(self, company_id):
        """Close one customer's period (``closing_date``); a second press finds it closed."""
        back_to(url_for(".index"))
        company = db.session.get(Company, company_id) if company_id < 2**63 else None
        if company is None:
            raise NotFound(_("No company %(id)s.", id=company_id))
        closed = orders.close_period(company, request.form.get("closing_date") or "", g.user)
        run = closed.run
        if not closed.created:
            flash(_("This period was already closed."), "info")
        elif run.document is not None:
            flash(_("Closed; invoice %(number)s made.", number=run.document.number), "success")
        else:
            flash(_("Closed; nothing was shipped in the period."), "info")
        return redirect(url_for(".index"))


class BillingSettingView(KeepFormOnRuleError, ModelView):
    """How each customer is billed for what ships: per shipment, or 締め日 and 支払サイト."""

    route_base = "/billingsettings"
    class_permission_name = "BillingSetting"
    method_permission_name = {**SCREEN_VERBS, "delete": "write"}
    base_permissions = ["can_read", "can_write"]
    include_route_methods = {"list", "show", "add", "edit", "delete"}
    datamodel = datamodel(BillingSetting)
    list_widget = LinkedListWidget
    list_title = _l("Billing settings")
    show_title = add_title = edit_title = _l("Billing setting")
    label_columns = {
        "company": _l("Customer"),
        "mode": _l("Invoices"),
        "closing_day": _l("Closing day (締め日)"),
        "pay_months": _l("Months to payment"),
        "pay_day": _l("Pay day"),
        "currency": _l("Currency"),
    }
    list_columns = ["company", "mode", "closing_day", "pay_months", "pay_day", "currency"]
    show_columns = add_columns = edit_columns = list_columns
    description_columns = {
        "closing_day": _l("5, 10, 15, 20, 25, or 31 for the month's end."),
        "pay_months": _l("0: the closing month, 1: the next month (翌月), 2: 翌々月."),
        "pay_day": _l("The day of that month; 31: its end (末日)."),
        "currency": _l("A monthly customer's orders are in this currency."),
    }
    formatters_columns = {
        "mode": lambda v: MODE_LABELS.get(v, v),
        "closing_day": lambda v: orders.closing_day_label(v) if v else "",
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "mode": SelectField(
            _l("Invoices"), choices=list(MODE_LABELS.items()), validators=[DataRequired()]
        ),
        "currency": SelectField(
            _l("Currency"), choices=currency_choices(), default="JPY", validators=[DataRequired()]
        ),
    }
    validators_columns = {
        "closing_day": [AnyOf(closing.CLOSING_DAYS)],
        "pay_months": [NumberRange(0, 6)],
        "pay_day": [NumberRange(1, 31)],
    }


def register_order_views(appbuilder) -> None:
    """The Billing menu: orders, closings, billing settings."""
    appbuilder.add_view(
        SalesOrderView,
        "Orders",
        label=_l("Orders"),
        icon="fa-boxes",
        category="Billing",
        category_label=_l("Billing"),
        category_icon="fa-file-invoice-dollar",
    )
    appbuilder.add_view(
        ClosingView, "Closings", label=_l("Closings"), icon="fa-calendar-check", category="Billing"
    )
    appbuilder.add_view(
        BillingSettingView,
        "Billing settings",
        label=_l("Billing settings"),
        icon="fa-sliders-h",
        category="Billing",
    )
    appbuilder.add_view_no_menu(ShipmentInvoiceView)
