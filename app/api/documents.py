"""REST API for documents: one API per kind (its own permission resource), their lines,
lifecycle actions, payments on invoices, and the audit trail (read only).

The state is never written directly: it moves through ``POST /<kind>/<pk>/action/<name>``
(actions.perform checks the right). Typed errors answer 403/404/422 through one boundary
(api/refusals.answered); a write signed in by the session cookie, not a JWT, needs the
page's CSRF token.
"""

from __future__ import annotations

import datetime as dt

from flask import g, request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.sqla.filters import FilterEqual
from marshmallow.validate import Length, OneOf, Range

from app.api.base import RenkeiApi
from app.api.crm import CURRENCY, LINE_FIELDS, LINE_VALIDATORS, CrmApi
from app.api.refusals import answered
from app.models.audit import AuditEntry
from app.models.document_kinds import KINDS, DocumentKind
from app.models.documents import Document, DocumentLine
from app.security.permissions import API_VERBS, DOCUMENT_VERBS
from app.services.documents import actions, issuing, payments
from app.services.errors import Forbidden, InvalidInput, NotFound
from app.services.money import normalize_number
from app.views.document_data import FilterDocumentKind, interface
from app.views.list_arguments import number_error

ACTION_NAMES = list(actions.ACTION_LABELS)
_FIELDS = list(issuing.HEADER_FIELDS)
_SHOWN = [
    "id",
    "number",
    "kind",
    "state",
    "legal_entity.id",
    "company.id",
    "company.name",
    "contact.id",
    "recipient_name",
    "recipient_email",
    "currency",
    "language",
    "issue_date",
    "transaction_date",
    "due_date",
    "subtotal",
    "tax",
    "total",
    # Another currency than the issuer's: the rate frozen when it left draft (0020).
    "base_currency",
    "exchange_rate",
    "exchange_rate_date",
    "base_total",
    "source.id",
    "deal.id",
    "sent_at",
]


def _summary(document: Document) -> dict:
    body = {
        "id": document.id,
        "number": document.number,
        "kind": document.kind,
        "state": document.state,
        "total": str(document.total),
    }
    if document.kind == "invoice":
        body["balance"] = str(payments.balance(document))
    return body


class RuleAwareApi(CrmApi):
    """Business errors raised before the save (pre_add, pre_update) answer 4xx, not 500,
    and a write signed in by the session cookie needs the page's CSRF token."""

    @answered
    def post_headless(self):
        return super().post_headless()

    @answered
    def put_headless(self, pk):
        return super().put_headless(pk)

    @answered
    def delete_headless(self, pk):
        return super().delete_headless(pk)


class DocumentApi(RuleAwareApi):
    """A kind's documents: get, list, create and edit drafts; act; pay (invoices)."""

    kind = ""
    method_permission_name = {
        **API_VERBS,
        "act": DOCUMENT_VERBS["act"],
        "payment": DOCUMENT_VERBS["payment"],
    }
    include_route_methods = {"get", "get_list", "info", "post", "put", "act", "payment"}
    list_columns = show_columns = _SHOWN
    add_columns = edit_columns = _FIELDS
    search_columns = ["number", "state", "company", "issue_date", "due_date", "total", "currency"]
    order_columns = ["number", "issue_date", "due_date", "total"]
    validators_columns = {
        "currency": CURRENCY,
        "language": OneOf(["ja", "en"], error="Unknown language {input}: use ja or en."),
        "recipient_name": Length(max=200),
        "recipient_email": Length(max=254),
    }

    def _init_model_schemas(self) -> None:
        super()._init_model_schemas()
        # Filled in when left out: issuer (the default one), date (today), recipient.
        for name in ("legal_entity", "issue_date", "recipient_name"):
            self.add_model_schema.fields[name].required = False

    def pre_add(self, item):
        """The API's kind, its creator, and the default issuer when none is given."""
        item.kind = self.kind
        item.state = "draft"
        item.created_by = g.user
        if item.legal_entity is None:
            item.legal_entity = issuing.default_legal_entity()

    def _document(self, pk) -> Document:
        document = self.datamodel.get(pk, self._base_filters)
        if document is None:
            raise NotFound(f"No {self.kind} {pk}.")
        return document

    @expose("/<int:pk>/action/<name>", methods=["POST"])
    @protect()
    @safe
    @answered
    def act(self, pk, name):
        """Run a lifecycle action on a document.
        ---
        post:
          description: >-
            submit, approve, reject (needs a comment), reopen, void (needs a comment:
            the reason, kept in the audit trail), dispute, resolve, write_off (needs a
            comment), convert (quote → invoice), credit (invoice → credit note).
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          - in: path
            name: name
            required: true
            schema:
              type: string
              enum: [submit, approve, reject, reopen, void, dispute, resolve, write_off,
                     convert, credit]
          requestBody:
            required: false
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    comment:
                      type: string
          responses:
            200:
              description: The document after the action
            201:
              description: The document the action made (convert, credit)
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        body = request.get_json(silent=True)
        comment = body.get("comment") if isinstance(body, dict) else None
        document = self._document(pk)
        if comment is not None and not isinstance(comment, str):
            raise InvalidInput("The comment must be text.", field="comment")
        result = actions.perform(document, name, g.user, comment)
        if name in ("convert", "credit"):
            return self.response(201, result=_summary(result))
        return self.response(200, result=_summary(document))

    def _payment_input(self):
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise InvalidInput("Send a JSON object with amount and paid_on.", field="_schema")
        amount = body.get("amount")
        if isinstance(amount, str):  # "500,000", "５０００００", "¥500,000", "500000円"
            amount = normalize_number(amount) or amount
        # "NaN" and "Infinity" too: they break the comparisons
        if amount is None or number_error(amount):
            raise InvalidInput("The amount is a number.", field="amount")
        paid_on = body.get("paid_on")
        try:
            paid_on = dt.date.fromisoformat(paid_on) if paid_on else None
        except (TypeError, ValueError):
            raise InvalidInput("paid_on is a date, YYYY-MM-DD.", field="paid_on") from None
        method = body.get("method") or "bank_transfer"
        reference = body.get("reference")
        if not isinstance(method, str) or not isinstance(reference, str | None):
            raise InvalidInput("method and reference are text.", field="method")
        return str(amount), paid_on, method, (reference or "")[:100] or None

    @expose("/<int:pk>/payment", methods=["POST"])
    @protect()
    @safe
    @answered
    def payment(self, pk):
        """Record a payment against an invoice.
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
                  required: [amount]
                  properties:
                    amount:
                      type: string
                    paid_on:
                      type: string
                      format: date
                    method:
                      type: string
                      enum: [bank_transfer, card, cash, offset, other]
                    reference:
                      type: string
          responses:
            201:
              description: The invoice after the payment
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        document = self._document(pk)
        if not actions.may(g.user, document, "record_payment"):
            raise Forbidden("You may not record payments.")
        amount, paid_on, method, reference = self._payment_input()
        payments.record_payment(
            document, amount, paid_on, user=g.user, method=method, reference=reference
        )
        return self.response(201, result=_summary(document))


class DocumentLineApi(RuleAwareApi):
    """A kind's document lines (drafts only: the rules refuse the rest with 422)."""

    kind = ""
    method_permission_name = {**API_VERBS, "delete": "write"}
    _columns = ["document.id", "position", "product.id", *LINE_FIELDS, "amount"]
    list_columns = show_columns = ["id", *_columns]
    add_columns = edit_columns = ["document", "position", "product", *LINE_FIELDS]
    search_columns = ["document", "product", "tax_rate"]
    validators_columns = {
        **LINE_VALIDATORS,
        "unit": Length(max=20),
        "position": Range(min=0, max=10_000, error="The position is 0 to 10000."),
    }

    def _init_model_schemas(self) -> None:
        super()._init_model_schemas()
        # Taken from the product when left out (services.lines.complete_line at flush).
        for name in ("name", "unit_price"):
            self.add_model_schema.fields[name].required = False

    def pre_add(self, item):
        """A line belongs to a document of this API's kind."""
        if item.document is None or item.document.kind != self.kind:
            raise InvalidInput(f"Give the id of a {self.kind}.", field="document")
        if item.position is None:  # left out: the line goes last (numbers start at 1)
            item.position = issuing.next_line_position(self.datamodel.session, item.document.id)

    pre_update = pre_add


class AuditTrailApi(RenkeiApi):
    """The audit trail: read only; POST, PUT and DELETE do not exist (405)."""

    allow_browser_login = True
    resource_name = "audit_trail"
    class_permission_name = "AuditTrail"
    method_permission_name = API_VERBS
    include_route_methods = {"get", "get_list", "info"}
    datamodel = interface(AuditEntry)
    page_size = 100
    max_page_size = 500
    list_columns = show_columns = [
        "id",
        "at",
        "user_id",
        "username",
        "document_id",
        "document_number",
        "line_id",
        "action",
        "field",
        "old_value",
        "new_value",
        "note",
    ]
    search_columns = ["document_id", "document_number", "username", "action", "field", "at"]
    order_columns = ["id", "at", "document_number"]


def _kind_apis(spec: DocumentKind):
    kind, resource, name = spec.code, spec.resource, spec.api_name
    document_api = type(
        f"{resource}Api",
        (DocumentApi,),
        {
            "kind": kind,
            "resource_name": name,
            "class_permission_name": resource,
            "datamodel": interface(Document),
            "base_filters": [["kind", FilterEqual, kind]],
        },
    )
    line_api = type(
        f"{resource}LineApi",
        (DocumentLineApi,),
        {
            "kind": kind,
            "resource_name": spec.line_api_name,
            "class_permission_name": resource,
            "datamodel": interface(DocumentLine),
            "base_filters": [["document", FilterDocumentKind, kind]],
        },
    )
    if not spec.payments:  # payments are recorded against invoices only
        document_api.include_route_methods = DocumentApi.include_route_methods - {"payment"}
    return [document_api, line_api]


DOCUMENT_APIS = [
    *[api for spec in KINDS.values() for api in _kind_apis(spec)],
    AuditTrailApi,
]
