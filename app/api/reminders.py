"""REST API of payment reminders.

  /api/v1/reminder_rule/                        the rules (CRUD; ReminderRule read/write)
  GET  /api/v1/reminder/preview                 what would go out today and why (read)
  GET  /api/v1/reminder/company/<pk>/history    a customer's reminders and notes (read)
  POST /api/v1/reminder/company/<pk>/note       {kind, note, document_id?, promised_on?} (note)
  POST /api/v1/reminder/company/<pk>/pause      {document_id?, reason?} (pause)
  POST /api/v1/reminder/company/<pk>/resume     {document_id?} (pause)

Typed errors answer 403/404/422 (api/refusals.answered); the services check the rights again.
"""

from __future__ import annotations

from flask import g
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext as _
from marshmallow.validate import Length, OneOf, Range

from app.api.base import VerbApi, json_body
from app.api.crm import CrmApi
from app.api.refusals import answered
from app.extensions import db
from app.models.crm import Company
from app.models.reminders import PAYMENT_STATES, STEP_LIMIT, ReminderRule
from app.security.permissions import API_VERBS, REMINDER_API_VERBS
from app.services.errors import InvalidInput, NotFound
from app.services.reminders import followups
from app.services.reminders.schedule import plan, today_in_tokyo
from app.views.datamodel import datamodel
from app.views.followups import invoice_of, parse_day
from app.views.reminders import planned_row


class ReminderRuleApi(CrmApi):
    """Reminder rules: the default set (no company) and per-company overrides."""

    class_permission_name = "ReminderRule"
    # Rules are settings: removing one is "write", as on the screen.
    method_permission_name = {**API_VERBS, "delete": "write"}
    resource_name = "reminder_rule"
    datamodel = datamodel(ReminderRule)
    _columns = ["name", "company", "days", "payment_state", "active"]
    list_columns = ["id", *_columns, "updated_at"]
    show_columns = ["id", *_columns, "created_at", "updated_at"]
    add_columns = edit_columns = _columns
    search_columns = ["name", "company", "days", "payment_state", "active"]
    order_columns = ["name", "days"]
    validators_columns = {
        "name": Length(min=1, max=100),
        "days": Range(min=-STEP_LIMIT, max=STEP_LIMIT),
        "payment_state": OneOf(list(PAYMENT_STATES)),
    }


def _text(body: dict, name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(_("Give text."), field=name)
    return value


class ReminderApi(VerbApi):
    """Today's preview, and a customer's follow-up: history, notes, pauses."""

    route_base = "/api/v1"
    resource_name = "reminder"
    class_permission_name = "Reminder"
    method_permission_name = REMINDER_API_VERBS
    openapi_spec_tag = "Reminders"

    def _company(self, pk) -> Company:
        company = db.session.get(Company, pk)
        if company is None:
            raise NotFound(_("No company %(id)s.", id=pk))
        return company

    @expose("/reminder/preview", methods=["GET"])
    @protect()
    @safe
    @answered(check_csrf=False)
    def preview(self):
        """What would go out today (Tokyo) and why; nothing is sent.
        ---
        get:
          description: >-
            The dry run of today's reminders: per invoice the rule, the days relative
            to the due date, the open balance, the recipient, and why it is held.
          responses:
            200:
              description: The day and its reminders
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
        """
        today = today_in_tokyo()
        rows = []
        for planned in plan(today):
            row = planned_row(planned)
            row["balance"] = format(row["balance"], "f")
            rows.append(row)
        return self.response(200, day=today.isoformat(), reminders=rows)

    @expose("/reminder/company/<int:pk>/history", methods=["GET"])
    @protect()
    @safe
    @answered(check_csrf=False)
    def history(self, pk):
        """A customer's reminders and follow-up notes, newest first.
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
              description: The entries
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
        """
        company = self._company(pk)
        entries = [
            {
                "at": e.at.isoformat(),
                "kind": e.kind,
                "text": e.text,
                "document_id": e.document.id if e.document else None,
                "state": e.state,
                "promised_on": e.promised_on.isoformat() if e.promised_on else None,
                "by": e.by,
            }
            for e in followups.history(company)
        ]
        return self.response(200, entries=entries)

    @expose("/reminder/company/<int:pk>/note", methods=["POST"])
    @protect()
    @safe
    @answered
    def note(self, pk):
        """Add a note of a call or reply, or a promise to pay by a date (holds reminders).
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
                  required: [note]
                  properties:
                    kind:
                      type: string
                      enum: [call, reply, note, promise]
                    note:
                      type: string
                    document_id:
                      type: integer
                      nullable: true
                    promised_on:
                      type: string
                      format: date
                      nullable: true
          responses:
            201:
              description: The note
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
        company = self._company(pk)
        body = json_body()
        entry = followups.add_note(
            company,
            g.user,
            _text(body, "kind") or "note",
            _text(body, "note") or "",
            document=invoice_of(company, body.get("document_id")),
            promised_on=parse_day(_text(body, "promised_on"), "promised_on"),
        )
        return self.response(201, id=entry.id)

    def _hold(self, pk, resume: bool):
        company = self._company(pk)
        body = json_body()
        document = invoice_of(company, body.get("document_id"))
        if resume:
            followups.resume(company, g.user, document=document)
            return self.response(200, paused=False)
        followups.pause(company, g.user, document=document, reason=_text(body, "reason"))
        return self.response(201, paused=True)

    @expose("/reminder/company/<int:pk>/pause", methods=["POST"])
    @protect()
    @safe
    @answered
    def pause(self, pk):
        """Pause a customer's reminders, or one of its invoices' (document_id).
        ---
        post:
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    document_id:
                      type: integer
                      nullable: true
                    reason:
                      type: string
                      nullable: true
          responses:
            201:
              description: Paused
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
        return self._hold(pk, resume=False)

    @expose("/reminder/company/<int:pk>/resume", methods=["POST"])
    @protect()
    @safe
    @answered
    def resume(self, pk):
        """Resume a customer's reminders, or one of its invoices' (document_id).
        ---
        post:
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    document_id:
                      type: integer
                      nullable: true
          responses:
            200:
              description: Resumed
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
        return self._hold(pk, resume=True)


REMINDER_APIS = [ReminderRuleApi, ReminderApi]
