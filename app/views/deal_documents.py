"""A deal and all its documents (S7), and a document's links at the providers.

What the deal page and the document page show: every Renkei document of the deal with
its state, amount and balance, and under each its provider links (connection, provider
number, provider status, last push/pull, last error, "Open at provider"); the provider
tabs list the links at each connection. Read-only rows for the templates.
"""

from __future__ import annotations

from decimal import Decimal

from flask import url_for
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models.choices import BILLING_STATUS_LABELS
from app.models.connection import Connection
from app.models.documents import Document
from app.models.sync import ExternalDocument
from app.providers import registry
from app.services.documents import lifecycle, payments
from app.views.document_data import state_badge
from app.views.document_page import document_url
from app.views.money import Money, local_time


def billing_label(code):
    return BILLING_STATUS_LABELS.get(code, code)


def provider_status(link: ExternalDocument) -> tuple[str, str]:
    """The provider's payment status in Renkei's words, and the provider's own word.

    Each provider package says what its words mean (``ProviderEntry.status_of``); a
    word it does not know is shown as it came.
    """
    word = link.payment_status or ""
    if not word or link.connection is None:
        return "", word
    code = registry.entry(link.connection.provider).status_of(word)
    return (str(BILLING_STATUS_LABELS[code]) if code in BILLING_STATUS_LABELS else word), word


def _when(value):
    return local_time(value) if value else ""


def link_row(link: ExternalDocument) -> dict:
    """One provider link as the screens show it."""
    status = "deleted" if link.deleted_at_provider else link.billing_status
    return {
        "id": link.id,
        "connection": link.connection.name if link.connection else "",
        "connection_id": link.connection_id,
        "number": link.number or "",
        "external_id": link.external_id or "",
        "amount": Money(link.total, link.currency) if link.total is not None else "",
        "status_code": status,
        "billing_status": billing_label(status),
        "payment_status": provider_status(link)[0],
        "payment_status_raw": provider_status(link)[1],
        "issue_date": link.issue_date or "",
        "last_pushed": _when(link.last_pushed_at),
        "last_pulled": _when(link.last_pulled_at),
        "last_synced": _when(link.last_pulled_at or link.last_pushed_at),
        "last_error": link.last_error or "",
        "origin": link.origin,
        # Renkei's own route: a provider's PDF link may need our token.
        "url": url_for("DealView.provider_document", document_id=link.id)
        if link.external_id and not link.deleted_at_provider
        else None,
        "document_number": link.document.number if link.document is not None else "",
        "document_url": document_url(link.document) if link.document is not None else None,
    }


def document_row(
    document: Document, links: list[ExternalDocument], balance: Decimal | None = None
) -> dict:
    """One Renkei document of a deal, with its links (``balance``: already read, if so)."""
    is_invoice = document.kind == "invoice"
    if is_invoice and balance is None:
        balance = payments.balance(document)
    return {
        "id": document.id,
        "kind": lifecycle.KIND_LABELS.get(document.kind, document.kind),
        "number": document.number or "",
        "url": document_url(document),
        "state": state_badge(lifecycle.display_state(document)),
        "state_code": document.state,
        "issue_date": document.issue_date or "",
        "total": Money(Decimal(document.total), document.currency),
        "balance": Money(balance, document.currency) if is_invoice else "",
        "links": [link_row(link) for link in links],
    }


def deal_documents(deal_id: int) -> list[dict]:
    """Every Renkei document of the deal (newest first), each with its provider links."""
    documents = (
        db.session.query(Document)
        .filter(Document.deal_id == deal_id)
        .order_by(Document.id.desc())
        .all()
    )
    links = (
        db.session.query(ExternalDocument)
        .options(joinedload(ExternalDocument.connection))
        .filter(ExternalDocument.document_id.in_([d.id for d in documents] or [0]))
        .order_by(ExternalDocument.id)
        .all()
    )
    by_document: dict[int, list[ExternalDocument]] = {}
    for link in links:
        by_document.setdefault(link.document_id, []).append(link)
    # every invoice's balance from one grouped query, not two statements per invoice
    owed = payments.balances(db.session, documents)
    return [document_row(d, by_document.get(d.id, []), owed.get(d.id)) for d in documents]


def provider_tabs(deal_id: int) -> list[dict]:
    """The deal page's tabs: every usable connection with the deal's links there."""
    connections = db.session.query(Connection).order_by(Connection.id).all()
    links = (
        db.session.query(ExternalDocument)
        .options(joinedload(ExternalDocument.document))
        .filter(ExternalDocument.deal_id == deal_id)
        .order_by(ExternalDocument.id)
        .all()
    )
    tabs = []
    for connection in connections:
        mine = [link for link in links if link.connection_id == connection.id]
        if connection.status == "disabled" and not mine:
            continue
        tabs.append({"connection": connection, "documents": [link_row(x) for x in mine]})
    return tabs


def document_links(document: Document) -> dict:
    """The document page's "At providers" panel: its links, and the connections it may
    still be issued at (connected, not linked yet)."""
    from app.views.document_links import all_connections, document_links_of

    links = document_links_of(document)
    # A link whose create failed (no provider id) may be issued again from here.
    linked = {
        link.connection_id
        for link in links
        if link.external_id or link.billing_status not in ("failed",)
    }
    connections = [c for c in all_connections() if c.status == "connected"]
    return {
        "links": [link_row(link) for link in links],
        "issuable": [c for c in connections if c.id not in linked],
    }
