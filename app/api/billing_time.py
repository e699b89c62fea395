"""REST API of time entries (resource TimeEntry; verbs in permissions.TIME_ENTRY_VERBS).

GET  /api/v1/time_entry/?deal_id=&state=   entries (read), newest first, at most 500
POST /api/v1/time_entry/                   {deal_id, work_date, hours, rate, description,
                                            user_id?}: one's own time (write; another's:
                                            the manager's approve right)
POST /api/v1/time_entry/<pk>/approve       (approve; never one's own)
POST /api/v1/time_entry/<pk>/reject        {reason} (approve)
POST /api/v1/time_entry/invoice            {start, end, deal_id?}: one invoice per project
                                            of the approved, unbilled entries (invoice)
"""

from __future__ import annotations

from flask import g, request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _

from app.api.base import json_body
from app.api.billing_base import BillingApi, day, money, number, record, text
from app.api.refusals import answered
from app.extensions import db
from app.models.crm import Deal
from app.models.time_entries import TIME_STATES, TimeEntry
from app.security.permissions import TIME_ENTRY_VERBS
from app.services.billing import time_entries as tm
from app.services.errors import InvalidInput
from app.views.list_arguments import integer_error

_PK = """
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer"""
_ANSWERS = """
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
"""


def entry_json(entry: TimeEntry) -> dict:
    return {
        "id": entry.id,
        "user_id": entry.user_id,
        "work_date": entry.work_date.isoformat(),
        "hours": money(entry.hours),
        "rate": money(entry.rate),
        "currency": entry.currency,
        "description": entry.description,
        "deal_id": entry.deal_id,
        "company_id": entry.company_id,
        "state": entry.state,
        "decided_by_id": entry.decided_by_id,
        "reject_reason": entry.reject_reason,
        "document_id": entry.document_id,
    }


def _id(value, field: str) -> int:
    if value is None or integer_error(value):
        raise InvalidInput(_("Give the id as a whole number."), field=field)
    return int(value)


class TimeEntryApi(BillingApi):
    resource_name = "time_entry"
    class_permission_name = "TimeEntry"
    method_permission_name = TIME_ENTRY_VERBS
    openapi_spec_tag = "Time entries"

    def _entry(self, pk) -> TimeEntry:
        return record(TimeEntry, pk, _("No time entry %(id)s.", id=pk))

    @expose("/time_entry/", methods=["GET"])
    @protect()
    @safe
    @answered(check_csrf=False)
    def list(self):
        """Time entries, newest first (at most 500), by deal and state.
        ---
        get:
          parameters:
          - in: query
            name: deal_id
            schema:
              type: integer
          - in: query
            name: state
            schema:
              type: string
              enum: [pending, approved, rejected]
          responses:
            200:
              description: The entries
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            422:
              $ref: '#/components/responses/422'
        """
        query = db.session.query(TimeEntry)
        if request.args.get("deal_id") not in (None, ""):
            query = query.filter(TimeEntry.deal_id == _id(request.args["deal_id"], "deal_id"))
        state = request.args.get("state")
        if state not in (None, ""):
            if state not in TIME_STATES:
                raise InvalidInput(_("Unknown state."), field="state")
            query = query.filter(TimeEntry.state == state)
        rows = query.order_by(TimeEntry.work_date.desc(), TimeEntry.id.desc()).limit(500)
        return self.response(200, entries=[entry_json(e) for e in rows])

    @expose("/time_entry/", methods=["POST"])
    @protect()
    @safe
    @answered
    def create(self):
        """Enter time (one's own; another person's needs the manager's right).
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [deal_id, work_date, hours, rate, description]
                  properties:
                    deal_id:
                      type: integer
                    user_id:
                      type: integer
                    work_date:
                      type: string
                      format: date
                    hours:
                      type: string
                    rate:
                      type: string
                    description:
                      type: string
          responses:
            201:
              description: The entry
            400:
              $ref: '#/components/responses/400'
        """
        data = json_body()
        deal = record(Deal, _id(data.get("deal_id"), "deal_id"), _("No such deal."))
        person = None
        if data.get("user_id") is not None:
            person = record(User, _id(data["user_id"], "user_id"), _("No such user."))
        entry = tm.enter(
            g.user,
            deal=deal,
            person=person,
            work_date=day(data.get("work_date"), "work_date"),
            hours=number(data.get("hours"), "hours"),
            rate=number(data.get("rate"), "rate"),
            description=text(data.get("description"), "description"),
        )
        return self.response(201, **entry_json(entry))

    @expose("/time_entry/<int:pk>/approve", methods=["POST"])
    @protect()
    @safe
    @answered
    def approve(self, pk):
        """Approve an entry (a manager; never one's own).
        ---
        post:{pk}
          responses:
            200:
              description: The entry
        """
        entry = tm.approve(self._entry(pk), g.user)
        return self.response(200, **entry_json(entry))

    @expose("/time_entry/<int:pk>/reject", methods=["POST"])
    @protect()
    @safe
    @answered
    def reject(self, pk):
        """Reject an entry, saying why (a manager; never one's own).
        ---
        post:{pk}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    reason:
                      type: string
          responses:
            200:
              description: The entry
            400:
              $ref: '#/components/responses/400'
        """
        entry = tm.reject(self._entry(pk), g.user, text(json_body().get("reason"), "reason"))
        return self.response(200, **entry_json(entry))

    @expose("/time_entry/invoice", methods=["POST"])
    @protect()
    @safe
    @answered
    def invoice_period(self):
        """Invoice a period: one invoice per project (or the one deal_id) of its approved,
        unbilled entries dated start..end, one line per entry.
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [start, end]
                  properties:
                    start:
                      type: string
                      format: date
                    end:
                      type: string
                      format: date
                    deal_id:
                      type: integer
          responses:
            201:
              description: The invoices made (none when nothing was left to bill)
            400:
              $ref: '#/components/responses/400'
        """
        data = json_body()
        start, end = day(data.get("start"), "start"), day(data.get("end"), "end")
        if data.get("deal_id") is not None:
            deal = record(Deal, _id(data["deal_id"], "deal_id"), _("No such deal."))
            made = [d for d in [tm.invoice_period(deal, start, end, g.user)] if d is not None]
        else:
            made = tm.invoice_all(start, end, g.user)
        return self.response(
            201, invoices=[{"id": d.id, "number": d.number, "deal_id": d.deal_id} for d in made]
        )


for _name in ("list", "create", "approve", "reject", "invoice_period"):
    _method = getattr(TimeEntryApi, _name)
    _doc = _method.__doc__.replace("{pk}", _PK)
    if "401:" not in _doc.split("responses:")[-1]:
        _doc = _doc.rstrip() + _ANSWERS
    _method.__doc__ = _doc
