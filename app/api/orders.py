"""REST API of wholesale orders (issue 17), resource SalesOrder.

  GET  /api/v1/sales_order/                    orders, newest first (?company_id, ?page) (read)
  GET  /api/v1/sales_order/<pk>                one order: lines ordered/shipped/backordered/
                                               billed, shipments, invoices (read)
  POST /api/v1/sales_order/                    {company_id, lines: [...], …} (write)
  POST /api/v1/sales_order/<pk>/shipment       {lines: [{order_line_id, quantity}], …} (ship)
  POST /api/v1/closing/<company_id>            {closing_date} a monthly closing (bill)

Typed errors answer 403/404/422 (api/refusals.answered); the services check the rules.
"""

from __future__ import annotations

from decimal import Decimal

from flask import g, request
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext as _

from app.api.base import VerbApi, json_body
from app.api.refusals import answered
from app.extensions import db
from app.models.crm import Company
from app.models.orders import SalesOrder, Shipment
from app.security.permissions import ORDER_API_VERBS
from app.services.billing import orders
from app.services.errors import InvalidInput, NotFound
from app.views.list_arguments import integer_error

PAGE_SIZE = 50


def _id(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise InvalidInput(_("Give an id (a whole number)."), field=field)
    return value


def _get(model, pk, words):
    row = db.session.get(model, pk) if 0 < pk < 2**63 else None
    if row is None:
        raise NotFound(words)
    return row


def _num(value) -> str:
    return format(Decimal(value).normalize(), "f")


def order_json(order: SalesOrder, full: bool = False) -> dict:
    """An order as the API answers it."""
    data = {
        "id": order.id,
        "number": order.number,
        "company_id": order.company_id,
        "company": order.company.name,
        "order_date": order.order_date.isoformat(),
        "currency": order.currency,
        "customer_reference": order.customer_reference,
    }
    if not full:
        return data
    figures = orders.figures(order)
    billed = figures.billed
    data["billing_status"] = figures.status
    data["lines"] = [
        {
            "id": line.id,
            "name": line.name,
            "unit_price": _num(line.unit_price),
            "tax_rate": line.tax_rate,
            "ordered": _num(line.quantity),
            "shipped": _num(line.shipped_quantity),
            "backordered": _num(line.backorder),
            "billed": _num(billed.get(line.id, 0)),
        }
        for line in order.lines
    ]
    data["shipments"] = [shipment_json(s) for s in order.shipments]
    data["invoices"] = [
        {
            "id": d.id,
            "number": d.number,
            "state": d.state,
            "total": _num(d.total),
            "balance": _num(figures.balances.get(d.id, d.total)),
            "due_date": d.due_date.isoformat() if d.due_date else None,
        }
        for d in figures.invoices
    ]
    return data


def shipment_json(shipment: Shipment) -> dict:
    return {
        "id": shipment.id,
        "number": shipment.number,
        "shipped_on": shipment.shipped_on.isoformat(),
        "lines": [
            {
                "order_line_id": line.order_line_id,
                "quantity": _num(line.quantity),
                "invoice_id": line.document_id,
            }
            for line in shipment.lines
        ],
    }


class OrderApi(VerbApi):
    """Sales orders, shipments and monthly closings."""

    route_base = "/api/v1"
    resource_name = "sales_order"
    class_permission_name = "SalesOrder"
    method_permission_name = ORDER_API_VERBS
    allow_browser_login = True
    openapi_spec_tag = "Orders"
    id_args = ("pk", "company_id")

    @expose("/sales_order/", methods=["GET"])
    @protect()
    @safe
    @answered(check_csrf=False)
    def list_orders(self):
        """Orders, newest first, 50 a page.
        ---
        get:
          parameters:
          - in: query
            name: company_id
            schema:
              type: integer
          - in: query
            name: page
            schema:
              type: integer
              minimum: 0
          responses:
            200:
              description: The orders
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        query = db.session.query(SalesOrder)
        company = request.args.get("company_id")
        if company not in (None, ""):
            if not company.isdigit() or integer_error(company):
                raise InvalidInput(_("Give an id (a whole number)."), field="company_id")
            query = query.filter(SalesOrder.company_id == int(company))
        page = request.args.get("page", "0")
        if not page.isdigit() or int(page) > 10**6:
            raise InvalidInput(_("Give a page number (0, 1, …)."), field="page")
        count = query.count()
        rows = (
            query.order_by(SalesOrder.id.desc())
            .offset(int(page) * PAGE_SIZE)
            .limit(PAGE_SIZE)
            .all()
        )
        return self.response(200, count=count, result=[order_json(o) for o in rows])

    @expose("/sales_order/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @answered(check_csrf=False)
    def get_order(self, pk):
        """One order: its lines ordered, shipped, backordered and billed; shipments; invoices.
        ---
        get:
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          responses:
            200:
              description: The order
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        order = _get(SalesOrder, pk, _("No order %(id)s.", id=pk))
        return self.response(200, result=order_json(order, full=True))

    @expose("/sales_order/", methods=["POST"])
    @protect()
    @safe
    @answered
    def create_order(self):
        """Create an order with its lines.
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [company_id, lines]
                  properties:
                    company_id:
                      type: integer
                    order_date:
                      type: string
                      format: date
                    currency:
                      type: string
                    customer_reference:
                      type: string
                    notes:
                      type: string
                    lines:
                      type: array
                      items:
                        type: object
                        properties:
                          product_id:
                            type: integer
                          name:
                            type: string
                          unit_price:
                            type: string
                          quantity:
                            type: string
                          tax_rate:
                            type: string
                            enum: [standard_10, reduced_8, exempt]
          responses:
            201:
              description: The order
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        body = json_body()
        company_id = _id(body.get("company_id"), "company_id")
        company = _get(Company, company_id, _("No company %(id)s.", id=company_id))
        lines = body.get("lines")
        if not isinstance(lines, list) or len(lines) > 500:
            raise InvalidInput(_("Give the order's lines (at most 500)."), field="lines")
        order = orders.create_order(
            company,
            lines,
            g.user,
            order_date=body.get("order_date"),
            currency=body.get("currency") or "JPY",
            customer_reference=body.get("customer_reference"),
            notes=body.get("notes"),
        )
        return self.response(201, result=order_json(order, full=True))

    @expose("/sales_order/<int:pk>/shipment", methods=["POST"])
    @protect()
    @safe
    @answered
    def ship(self, pk):
        """Post a shipment of quantities of the order's lines (partial is fine); a customer
        billed per shipment gets its invoice at once. More than a line's backorder: 422.
        ---
        post:
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [lines]
                  properties:
                    shipped_on:
                      type: string
                      format: date
                    note:
                      type: string
                    lines:
                      type: array
                      items:
                        type: object
                        required: [order_line_id, quantity]
                        properties:
                          order_line_id:
                            type: integer
                          quantity:
                            type: string
          responses:
            201:
              description: The shipment and its invoice (if any)
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        order = _get(SalesOrder, pk, _("No order %(id)s.", id=pk))
        body = json_body()
        lines = body.get("lines")
        if not isinstance(lines, list) or not all(isinstance(x, dict) for x in lines):
            raise InvalidInput(_("Give the lines to ship."), field="lines")
        quantities: dict[int, object] = {}
        for line in lines:
            line_id = _id(line.get("order_line_id"), "order_line_id")
            if line_id in quantities:
                raise InvalidInput(_("Each order line once per shipment."), field="lines")
            quantities[line_id] = line.get("quantity")
        if any(q in (None, "", 0, "0") for q in quantities.values()):
            raise InvalidInput(_("A quantity must be more than 0."), field="quantity")
        posted = orders.post_shipment(
            order,
            quantities,
            g.user,
            shipped_on=body.get("shipped_on"),
            note=body.get("note"),
        )
        invoice = posted.invoice
        return self.response(
            201,
            shipment=shipment_json(posted.shipment),
            invoice={"id": invoice.id, "number": invoice.number} if invoice else None,
        )

    @expose("/closing/<int:company_id>", methods=["POST"])
    @protect()
    @safe
    @answered
    def close(self, company_id):
        """Close a monthly customer's period ending on ``closing_date`` (its 締め日): one
        invoice for the unbilled shipment lines dated in it. Already closed: 200 and it.
        ---
        post:
          parameters:
          - in: path
            name: company_id
            required: true
            schema:
              type: integer
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [closing_date]
                  properties:
                    closing_date:
                      type: string
                      format: date
          responses:
            200:
              description: The period was closed already
            201:
              description: Closed now (with its invoice, or none when nothing shipped)
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        company = _get(Company, company_id, _("No company %(id)s.", id=company_id))
        closing_date = json_body().get("closing_date")
        if not isinstance(closing_date, str) or not closing_date:
            raise InvalidInput(_("Give a date as YYYY-MM-DD."), field="closing_date")
        closed = orders.close_period(company, closing_date, g.user)
        run = closed.run
        return self.response(
            201 if closed.created else 200,
            closing={
                "id": run.id,
                "period_start": run.period_start.isoformat(),
                "period_end": run.period_end.isoformat(),
                "invoice_id": run.document_id,
                "invoice_number": run.document.number if run.document else None,
                "due_date": run.document.due_date.isoformat() if run.document else None,
            },
        )


ORDER_APIS = [OrderApi]
