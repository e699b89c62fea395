"""REST API of a document's provider links: invoice a deal, issue a document at
connections, read a document's links and a deal's documents.

Routes (under /api/v1, in the OpenAPI document):
  POST /deal/<pk>/invoice      {connection_id, confirm?}  the deal tab's "Create invoice"
  POST /document/<pk>/issue    {connection_ids: [...]}     "Issue at …"
  GET  /document/<pk>/links                                the document's links
  GET  /deal/<pk>/documents                                the deal's documents and links

Rights (app.security.permissions.LINK_API_RIGHTS): the two POSTs need
``can_create_at_provider`` on ProviderDocument (FAB's @protect answers 403 without it;
the service asks again); reading a document or its links needs ``can_read`` on the
document's kind, a deal's documents ``can_read`` on Deal, and only the kinds the reader
may read are listed. Typed errors answer 403/404/422 (api/refusals.answered); a deal
already invoiced for its amount answers 409 with its invoices and the ``newest_id`` a
confirmation sends back.
"""

from __future__ import annotations

import functools

from flask import current_app, g, request, url_for
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext as _
from flask_jwt_extended import verify_jwt_in_request
from flask_login import current_user

from app.api.base import VerbApi
from app.api.refusals import answered
from app.extensions import db
from app.models.choices import BILLING_STATUS_LABELS
from app.models.connection import Connection
from app.models.crm import Deal
from app.models.document_kinds import KINDS
from app.models.documents import Document
from app.models.sync import ExternalDocument
from app.providers.registry import entry
from app.security.permissions import LINK_API_RIGHTS, LINK_API_VERBS
from app.services.documents import lifecycle, payments
from app.services.errors import Forbidden, InvalidInput, NotFound
from app.services.sync import issuing
from app.views.list_arguments import integer_error

MAX_CONNECTIONS = 50  # more than any office has: a longer list is a mistake


def signed_in(f):
    """Authenticate like FAB's @protect (session cookie, else a JWT) and leave the right to
    the method: it depends on the record (the document's kind)."""

    @functools.wraps(f)
    def inner(self, *args, **kwargs):
        if not current_user.is_authenticated:
            verify_jwt_in_request()  # raises: flask-jwt-extended answers 401
        return f(self, *args, **kwargs)

    return inner


def _may(permission: str, resource: str) -> bool:
    return current_app.appbuilder.sm.has_access(permission, resource)


def _iso(value):
    return value.isoformat() if value is not None else None


def _money(value):
    return str(value) if value is not None else None


def _open_url(link: ExternalDocument) -> str | None:
    """Renkei's own "Open at provider" route (it may need our token to fetch a PDF)."""
    if not link.external_id or link.deleted_at_provider:
        return None
    return url_for("DealView.provider_document", document_id=link.id)


def link_body(link: ExternalDocument) -> dict:
    """A link as the API shows it."""
    connection = link.connection
    status = "deleted" if link.deleted_at_provider else link.billing_status
    return {
        "id": link.id,
        "document_id": link.document_id,
        "provider": connection.provider,
        "provider_name": entry(connection.provider).name,
        "connection": {"id": connection.id, "name": connection.name},
        "external_id": link.external_id,
        "number": link.number,
        "total": _money(link.total),
        "currency": link.currency,
        "billing_status": link.billing_status,
        "billing_status_label": str(BILLING_STATUS_LABELS.get(status, status)),
        "deleted_at_provider": bool(link.deleted_at_provider),
        "payment_status": link.payment_status,
        "origin": link.origin,
        "last_pushed_at": _iso(link.last_pushed_at),
        "last_pulled_at": _iso(link.last_pulled_at),
        "last_error": link.last_error,
        "open_url": _open_url(link),
    }


def document_body(document: Document, links=None) -> dict:
    """A Renkei document as the API shows it (with its links when given)."""
    body = {
        "id": document.id,
        "number": document.number,
        "kind": document.kind,
        "state": document.state,
        "state_label": str(lifecycle.STATE_LABELS.get(document.state, document.state)),
        "currency": document.currency,
        "total": _money(document.total),
        "balance": _money(payments.balance(document)) if KINDS[document.kind].payments else None,
    }
    if links is not None:
        body["links"] = [link_body(link) for link in links]
    return body


def _issued_body(issued: issuing.Issued) -> dict:
    return {
        "connection_id": issued.link.connection_id,
        "link": link_body(issued.link),
        "run_id": issued.run.id if issued.run is not None else None,
        "awaiting_approval": issued.link.billing_status == "awaiting_approval",
    }


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(_("Send a JSON object."), field="_schema")
    return body


def _whole(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or integer_error(value):
        raise InvalidInput(_("Give the id (a whole number) of the %(what)s.", what=field), field)
    return value


def _connection(value, field: str) -> Connection:
    connection = db.session.get(Connection, _whole(value, field))
    if connection is None:
        raise InvalidInput(_("No connection %(id)s.", id=value), field=field)
    return connection


def _readable(document: Document) -> Document:
    if not _may(LINK_API_RIGHTS["document"], KINDS[document.kind].resource):
        raise Forbidden(_("You may not read this document."))
    return document


class ProviderDocumentApi(VerbApi):
    """A document's links to provider connections: invoice, issue, read."""

    route_base = "/api/v1"
    resource_name = "provider_document"
    class_permission_name = "ProviderDocument"
    method_permission_name = LINK_API_VERBS
    openapi_spec_tag = "Provider documents"

    def _deal(self, pk) -> Deal:
        if not _may(*LINK_API_RIGHTS["deal"]):
            raise Forbidden(_("You may not read deals."))
        deal = db.session.get(Deal, pk)
        if deal is None:
            raise NotFound(_("No deal %(id)s.", id=pk))
        return deal

    def _document(self, pk) -> Document:
        document = db.session.get(Document, pk)
        if document is None:
            raise NotFound(_("No document %(id)s.", id=pk))
        return _readable(document)

    @expose("/deal/<int:pk>/invoice", methods=["POST"])
    @protect()
    @safe
    @answered
    def invoice(self, pk):
        """Create the deal's invoice in Renkei and issue it at a connection.
        ---
        post:
          description: >-
            Create invoice of the deal tab. The Renkei invoice is made from the deal,
            submitted under the approval rules and issued at the connection (or it waits
            for approval). A request while the invoice of the deal there is being issued
            gets that one. A deal whose invoices already cover its amount answers 409 with
            them; send their newest_id back as confirm to make another.
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
                  required: [connection_id]
                  properties:
                    connection_id:
                      type: integer
                    confirm:
                      type: integer
                      nullable: true
          responses:
            202:
              description: The Renkei document, its link and the run issuing it
            400:
              $ref: '#/components/responses/400'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            409:
              description: Already invoiced; the invoices and the newest_id to confirm
            422:
              $ref: '#/components/responses/422'
        """
        deal = self._deal(pk)
        if not _may("can_read", KINDS["invoice"].resource):
            raise Forbidden(_("You may not read invoices."))
        body = _body()
        connection = _connection(body.get("connection_id"), "connection_id")
        confirm = body.get("confirm")
        if confirm is not None:
            confirm = _whole(confirm, "confirm")
        try:
            issued = issuing.invoice_deal(deal, connection, g.user, confirm)
        except issuing.NeedsConfirmation as exc:
            db.session.rollback()
            existing = [
                {
                    "id": d.id,
                    "number": d.number,
                    "total": _money(d.total),
                    "currency": d.currency,
                    "state": d.state,
                }
                for d in exc.existing
            ]
            return self.response(409, message=str(exc), existing=existing, newest_id=exc.newest_id)
        return self.response(
            202, document=document_body(issued.link.document), **_issued_body(issued)
        )

    @expose("/document/<int:pk>/issue", methods=["POST"])
    @protect()
    @safe
    @answered
    def issue(self, pk):
        """Issue an approved document at one or several connections.
        ---
        post:
          description: >-
            Issue at one or several connections. One link per connection; a link
            already issued is returned as it is, one being created returns its run.
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
                  required: [connection_ids]
                  properties:
                    connection_ids:
                      type: array
                      minItems: 1
                      maxItems: 50
                      items:
                        type: integer
          responses:
            202:
              description: One link and run per connection
            400:
              $ref: '#/components/responses/400'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        document = self._document(pk)
        ids = _body().get("connection_ids")
        if not isinstance(ids, list) or not ids or len(ids) > MAX_CONNECTIONS:
            raise InvalidInput(
                _("connection_ids is a list of 1 to %(n)d connection ids.", n=MAX_CONNECTIONS),
                field="connection_ids",
            )
        connections = []
        for value in ids:
            connection = _connection(value, "connection_ids")
            if connection not in connections:
                connections.append(connection)
        issued = issuing.issue(document, connections, g.user)
        return self.response(202, result=[_issued_body(i) for i in issued])

    @expose("/document/<int:pk>/links", methods=["GET"])
    @signed_in
    @safe
    @answered(check_csrf=False)
    def links(self, pk):
        """A document's links to provider connections.
        ---
        get:
          description: >-
            Each link with provider, connection, the id and number at the provider, the
            billing status (our code and words), the payment status at the provider, the
            last push, pull and error, and the URL of the Open at provider route of
            Renkei. Needs read on the kind of the document.
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          responses:
            200:
              description: The document and its links
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
        """
        document = self._document(pk)
        return self.response(200, result=document_body(document, _links_of([document.id])))

    @expose("/deal/<int:pk>/documents", methods=["GET"])
    @signed_in
    @safe
    @answered(check_csrf=False)
    def documents(self, pk):
        """Every Renkei document of a deal with its state, total, balance and links.
        ---
        get:
          description: Only the kinds the reader may read are listed.
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          responses:
            200:
              description: The deal's documents, oldest first
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
        """
        deal = self._deal(pk)
        kinds = [
            code for code, kind in KINDS.items() if _may(LINK_API_RIGHTS["document"], kind.resource)
        ]
        documents = (
            db.session.query(Document)
            .filter(Document.deal_id == deal.id, Document.kind.in_(kinds))
            .order_by(Document.id)
            .all()
        )
        links = _links_of([d.id for d in documents])
        result = [
            document_body(d, [link for link in links if link.document_id == d.id])
            for d in documents
        ]
        return self.response(200, result=result)


def _links_of(document_ids: list[int]) -> list[ExternalDocument]:
    if not document_ids:
        return []
    return (
        db.session.query(ExternalDocument)
        .filter(ExternalDocument.document_id.in_(document_ids))
        .order_by(ExternalDocument.id)
        .all()
    )


LINK_APIS = [ProviderDocumentApi]
