"""The document page's "A deal and all its documents" part: take the document off its
deal, and link a provider document made elsewhere (by our reference, by its id, or
chosen from that customer's documents at the provider).

The routes are on "read" of the kind (permissions.DOCUMENT_VERBS); the service
(app/services/sync/links.py) checks the write right on the kind and refuses in words.
"""

from __future__ import annotations

from flask import abort, flash, g, has_request_context, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models.connection import Connection
from app.models.documents import Document
from app.models.sync import ExternalDocument
from app.services.documents import actions
from app.views.money import Money
from app.views.refusals import back_to


def _links():
    from app.services.sync import links

    return links


_PAGE_READS = "_renkei_document_page_reads"


def _read_once(key, read):
    """``read()``, remembered for the rest of a GET request (the document page asks for a
    document's links and the connections from three of its parts); read afresh otherwise,
    so a request that changes them never sees what it read before."""
    if not has_request_context() or request.method != "GET":
        return read()
    reads = g.setdefault(_PAGE_READS, {})
    if key not in reads:
        reads[key] = read()
    return reads[key]


def document_links_of(document: Document) -> list[ExternalDocument]:
    """The document's provider links (with their connection), oldest first."""
    return _read_once(
        ("links", document.id),
        lambda: (
            db.session.query(ExternalDocument)
            .options(joinedload(ExternalDocument.connection))
            .filter(ExternalDocument.document_id == document.id)
            .order_by(ExternalDocument.id)
            .all()
        ),
    )


def all_connections() -> list[Connection]:
    """Every connection, in id order."""
    return _read_once(
        ("connections",), lambda: db.session.query(Connection).order_by(Connection.id).all()
    )


def linkable_connections(document: Document) -> list[Connection]:
    """Connected connections where ``document`` has no link (or one deleted there)."""
    held = {
        link.connection_id for link in document_links_of(document) if not link.deleted_at_provider
    }
    return [c for c in all_connections() if c.status == "connected" and c.id not in held]


def provider_links(document: Document, user) -> dict:
    """What the page's part shows: the deal with its Unlink button, the Link form."""
    may = actions.may(user, document, "link")
    from app.services import automation

    automated = not automation.may_unlink(document) or any(
        link.created_by_automation for link in document_links_of(document)
    )
    is_invoice = document.kind == "invoice"
    return {
        "deal": document.deal,
        "may_unlink": may and document.deal_id is not None and not automated,
        "may_link": may and is_invoice and document.state != "void",
        "connections": linkable_connections(document) if may and is_invoice else [],
    }


class DocumentLinkRoutes:
    """Routes of a document view (mixed into app.views.documents.DocumentView)."""

    @expose("/unlink_deal/<int:pk>", methods=["POST"])
    @has_access
    def unlink_deal(self, pk):
        """Take the document (and its provider links) off its deal."""
        document = self._document(pk)
        here = back_to(url_for(".show", pk=pk))
        _links().unlink_from_deal(document, g.user)
        flash(_("%(number)s was taken off its deal.", number=document.number), "success")
        return redirect(here)

    @expose("/link_candidates/<int:pk>")
    @has_access
    def link_candidates(self, pk):
        """That customer's documents at the chosen connection, to choose one to link."""
        document = self._document(pk)
        back_to(url_for(".show", pk=pk))
        connection = db.session.get(Connection, request.args.get("connection", type=int) or 0)
        if connection is None:
            flash(_("Choose a connection."), "danger")
            return redirect(url_for(".show", pk=pk))
        found = _links().candidates(document, connection, g.user)
        rows = [
            {
                "external_id": r.external_id,
                "number": r.number or r.external_id,
                "issue_date": r.issue_date or "",
                "total": Money(r.total, document.currency) if r.total is not None else "",
                "status": r.status,
                "reference": r.reference or "",
                "ours": (r.reference or "").startswith(f"rk-{document.id}-"),
            }
            for r in found
        ]
        return self.render_template(
            "renkei/document_link_candidates.html",
            title=_l("Link a provider document"),
            doc=document,
            connection=connection,
            rows=rows,
            view_name=request.endpoint.rsplit(".", 1)[0],
        )

    @expose("/link_provider/<int:pk>", methods=["POST"])
    @has_access
    def link_provider(self, pk):
        """Link the provider document given by id (or found by our reference)."""
        document = self._document(pk)
        here = back_to(url_for(".show", pk=pk))
        connection = db.session.get(Connection, request.form.get("connection", type=int) or 0)
        if connection is None:
            abort(404)
        external_id = (request.form.get("external_id") or "").strip()
        links = _links()
        if not external_id:
            remote = links.find_by_reference(document, connection, g.user)
            if remote is None:
                flash(
                    _(
                        "No document at %(name)s carries this document's reference; choose "
                        "one from the customer's documents there.",
                        name=connection.name,
                    ),
                    "warning",
                )
                return redirect(url_for(".link_candidates", pk=pk, connection=connection.id))
            external_id = remote.external_id
        link = links.link_document(document, connection, external_id, g.user)
        flash(
            _("Linked to %(number)s at %(name)s.", number=link.number or "", name=connection.name),
            "success",
        )
        return redirect(here)
