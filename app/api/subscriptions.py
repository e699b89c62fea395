"""REST API of subscriptions.

  GET  /api/v1/subscription/                 the subscriptions with their lines (read)
  POST /api/v1/subscription/                 {company_id, start_date, interval, lines, …} (write)
  POST /api/v1/subscription/<pk>/usage       {rows: [{metric, date, quantity, unit_price,
                                             tax_rate?}]}: all rows or none (write)
  GET  /api/v1/subscription/preview?day=     what the billing run of that day would invoice (read)

Typed errors answer 403/404/422 (api/refusals.answered); bad input never reaches a 5xx.
"""

from __future__ import annotations

import datetime as dt

from flask import g, request
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext as _

from app.api.base import VerbApi, json_body
from app.api.refusals import answered
from app.extensions import db
from app.models.crm import Company, Deal
from app.models.documents import LegalEntity
from app.models.subscriptions import Subscription
from app.security.permissions import SUBSCRIPTION_API_VERBS
from app.services.billing import run as billing
from app.services.billing import subscriptions, usage
from app.services.errors import InvalidInput, NotFound
from app.services.sync.clock import business_today
from app.views.list_arguments import integer_error


def _related(model, value, field):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or integer_error(str(value)):
        raise InvalidInput(_("Give the id as a whole number."), field)
    record = db.session.get(model, value)
    if record is None:
        raise InvalidInput(_("No record %(id)s.", id=value), field)
    return record


def _day(value, field) -> dt.date:
    if not isinstance(value, str):
        raise InvalidInput(_("Give the date as YYYY-MM-DD."), field)
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("Give the date as YYYY-MM-DD."), field) from None
    subscriptions.check_day(day, field)
    return day


def _int(body, name, default):
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(_("Give a whole number."), name)
    return value


def subscription_json(subscription: Subscription, today: dt.date) -> dict:
    nxt = billing.next_billing(subscription, today)
    return {
        "id": subscription.id,
        "name": subscription.name,
        "company_id": subscription.company_id,
        "currency": subscription.currency,
        "interval": subscription.interval,
        "start_date": subscription.start_date.isoformat(),
        "renewal": subscription.renewal,
        "notice_days": subscription.notice_days,
        "term_months": subscription.term_months,
        "renewed_until": subscription.renewed_until and subscription.renewed_until.isoformat(),
        "ends_on": subscription.ends_on and subscription.ends_on.isoformat(),
        "next_billing": nxt and nxt.isoformat(),
        "lines": [
            {
                "id": line.id,
                "name": line.name,
                "unit_price": format(line.unit_price, "f"),
                "quantity": format(line.quantity, "f"),
                "tax_rate": line.tax_rate,
            }
            for line in subscription.lines
        ],
    }


class SubscriptionApi(VerbApi):
    """Subscriptions, their usage, and the preview of a billing run."""

    route_base = "/api/v1"
    resource_name = "subscription"
    class_permission_name = "Subscription"
    method_permission_name = SUBSCRIPTION_API_VERBS
    allow_browser_login = True
    openapi_spec_tag = "Subscriptions"

    @expose("/subscription/", methods=["GET"])
    @protect()
    @safe
    @answered(check_csrf=False)
    def list_subscriptions(self):
        """The subscriptions, with their plan lines and next billing day.
        ---
        get:
          responses:
            200:
              description: The subscriptions
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
        """
        today = business_today()
        rows = db.session.query(Subscription).order_by(Subscription.id).limit(1000).all()
        return self.response(200, result=[subscription_json(s, today) for s in rows])

    @expose("/subscription/", methods=["POST"])
    @protect()
    @safe
    @answered
    def create_subscription(self):
        """Create a subscription with its plan lines.
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [company_id, start_date, lines]
                  properties:
                    company_id:
                      type: integer
                    name:
                      type: string
                    legal_entity_id:
                      type: integer
                      nullable: true
                    deal_id:
                      type: integer
                      nullable: true
                    currency:
                      type: string
                    interval:
                      type: string
                      enum: [monthly, annual]
                    start_date:
                      type: string
                      format: date
                    renewal:
                      type: string
                      enum: [automatic, decision]
                    notice_days:
                      type: integer
                    term_months:
                      type: integer
                    lines:
                      type: array
                      items:
                        type: object
                        properties:
                          name:
                            type: string
                          unit_price:
                            type: string
                          quantity:
                            type: string
                          tax_rate:
                            type: string
          responses:
            201:
              description: The subscription
        """
        body = json_body()
        company = _related(Company, body.get("company_id"), "company_id")
        if company is None:
            raise InvalidInput(_("Choose the customer."), "company_id")
        lines = body.get("lines")
        if not isinstance(lines, list) or not all(isinstance(x, dict) for x in lines):
            raise InvalidInput(_("Give the plan lines as a list of objects."), "lines")
        for field in ("name", "currency", "interval", "renewal"):
            if body.get(field) is not None and not isinstance(body[field], str):
                raise InvalidInput(_("Give text."), field)
        subscription = subscriptions.create(
            company,
            [
                {k: line.get(k) for k in ("name", "unit_price", "quantity", "tax_rate")}
                for line in lines
            ],
            user=g.user,
            name=body.get("name"),
            legal_entity=_related(LegalEntity, body.get("legal_entity_id"), "legal_entity_id"),
            deal=_related(Deal, body.get("deal_id"), "deal_id"),
            currency=body.get("currency"),
            interval=body.get("interval"),
            renewal=body.get("renewal"),
            start_date=_day(body.get("start_date"), "start_date"),
            notice_days=_int(body, "notice_days", 30),
            term_months=_int(body, "term_months", 12),
        )
        return self.response(201, result=subscription_json(subscription, business_today()))

    @expose("/subscription/<int:pk>/usage", methods=["POST"])
    @protect()
    @safe
    @answered
    def post_usage(self, pk):
        """Add usage rows to a subscription: all of them, or none with each bad row named.
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
                  required: [rows]
                  properties:
                    rows:
                      type: array
                      items:
                        type: object
                        properties:
                          metric:
                            type: string
                          date:
                            type: string
                            format: date
                          quantity:
                            type: string
                          unit_price:
                            type: string
                          tax_rate:
                            type: string
          responses:
            201:
              description: How many rows were imported
        """
        if db.session.get(Subscription, pk) is None:
            raise NotFound(_("No subscription %(id)s.", id=pk))
        rows = json_body().get("rows")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InvalidInput(_("Give the rows as a list of objects."), "rows")
        imported = usage.import_rows([{**row, "subscription": pk} for row in rows], user=g.user)
        return self.response(201, imported=imported)

    @expose("/subscription/preview", methods=["GET"])
    @protect()
    @safe
    @answered(check_csrf=False)
    def preview(self):
        """What the billing run of a day (default: today in Tokyo) would invoice, and why.
        ---
        get:
          parameters:
          - in: query
            name: day
            schema:
              type: string
              format: date
          responses:
            200:
              description: The periods that would be invoiced
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            422:
              $ref: '#/components/responses/422'
        """
        day = request.args.get("day")
        day = _day(day, "day") if day else business_today()
        rows = [
            {
                "subscription_id": found.subscription.id,
                "period_start": found.period.start.isoformat(),
                "period_end": found.period.end.isoformat(),
                "lines": [
                    {
                        "name": line["name"],
                        "unit_price": format(line["unit_price"], "f"),
                        "quantity": format(line["quantity"], "f"),
                        "tax_rate": line["tax_rate"],
                    }
                    for line in found.lines
                ],
                "why": found.why,
            }
            for found in billing.plan(day)
        ]
        return self.response(200, day=day.isoformat(), invoices=rows)


SUBSCRIPTION_APIS = [SubscriptionApi]
