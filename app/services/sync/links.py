"""A deal and all its documents: link a provider document made elsewhere to a Renkei
document, and take a document off its deal.

``link_document`` makes the link a person chose (origin "linked"): found by our reference
on the provider's document, or chosen from that customer's documents there
(``candidates``). It refuses, in words, what would make two records of one invoice or
link the wrong one: another link holding that provider document, the Renkei document
already linked at that connection (unless its document there was deleted: then the link
is pointed at the new one), a document that is not an invoice, another currency, another
total, or another customer where the provider says which. A linked invoice is pulled at
once: its status and what it reports paid settle the Renkei invoice as any pull does.

``unlink_from_deal`` takes a document (and its links) off its deal, for a person who may
write that kind of document, in the audit trail. Documents made or issued by automation
are refused (automation.unlink_refusal): the automation finds its document by the deal
(one automatic document per deal and kind).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.connection import Connection
from app.models.documents import Document
from app.models.sync import ExternalDocument, PartnerLink
from app.providers.errors import NotFoundError, ProviderError
from app.services import automation
from app.services.actor import acting_as
from app.services.documents import actions
from app.services.documents.audit import record_event
from app.services.errors import Forbidden, InvalidInput
from app.services.locking import lock
from app.services.sync.adapters import CustomerIds, RemoteDocument

CANDIDATES_SHOWN = 50


def check_may_link(document: Document, user) -> None:
    """Raise Forbidden unless ``user`` may write ``document``'s kind (linking and unlinking
    change what the document is tied to)."""
    if not actions.may(user, document, "link"):
        permission, resource = actions.right_for(document, "link")
        raise Forbidden(
            _(
                "You may not change what this document is linked to (it needs %(p)s on %(r)s).",
                p=permission,
                r=resource,
            )
        )


def _partner(document: Document, connection: Connection) -> PartnerLink | None:
    return (
        db.session.query(PartnerLink)
        .filter_by(connection_id=connection.id, company_id=document.company_id)
        .one_or_none()
    )


def _read(connection: Connection, external_id: str) -> RemoteDocument:
    from app.services.sync.clients import adapter_for

    adapter, _session = adapter_for(connection)
    try:
        return adapter.get_invoice(external_id)
    except NotFoundError as exc:
        raise InvalidInput(
            _("%(name)s has no document %(id)s.", name=connection.name, id=external_id),
            field="external_id",
        ) from exc
    except ProviderError as exc:
        raise InvalidInput(
            _("%(name)s could not be read: %(reason)s", name=connection.name, reason=exc.message)
        ) from exc


def _check_fits(document: Document, connection: Connection, remote: RemoteDocument) -> None:
    if document.kind != "invoice":
        raise InvalidInput(
            _(
                "Only invoices are linked to providers; %(number)s is not one.",
                number=document.number,
            )
        )
    if document.currency != connection.base_currency:
        raise InvalidInput(
            _(
                "The document is in %(doc)s but %(name)s invoices in %(base)s.",
                doc=document.currency,
                name=connection.name,
                base=connection.base_currency,
            ),
            field="currency",
        )
    if remote.total is not None and Decimal(remote.total) != Decimal(document.total):
        from app.services.money import format_money

        raise InvalidInput(
            _(
                "%(number)s at %(name)s comes to %(theirs)s but %(ours)s is %(total)s: these "
                "are not the same invoice.",
                number=remote.number or remote.external_id,
                name=connection.name,
                theirs=format_money(Decimal(remote.total), document.currency),
                ours=document.number,
                total=format_money(Decimal(document.total), document.currency),
            ),
            field="external_id",
        )
    partner = _partner(document, connection)
    theirs = getattr(remote, "customer_external_id", None)
    if partner is not None and theirs and theirs != partner.external_id:
        raise InvalidInput(
            _(
                "%(number)s at %(name)s is addressed to another customer than %(company)s.",
                number=remote.number or remote.external_id,
                name=connection.name,
                company=document.company.name,
            ),
            field="external_id",
        )


def _reference(connection: Connection, document: Document, remote: RemoteDocument) -> str:
    """The provider document's own reference when it is ours and free, else a new one."""
    found = remote.reference or ""
    if found.startswith("rk-") and len(found) <= 64:
        taken = (
            db.session.query(ExternalDocument.id)
            .filter_by(connection_id=connection.id, reference=found)
            .first()
        )
        if taken is None:
            return found
    return f"rk-{document.id}-{uuid.uuid4().hex[:8]}"


def link_document(
    document: Document, connection: Connection, external_id: str, user
) -> ExternalDocument:
    """Link the provider's document ``external_id`` at ``connection`` to ``document``."""
    from app.services.sync.refresh import pulled

    check_may_link(document, user)
    external_id = (external_id or "").strip()
    if not external_id:
        raise InvalidInput(_("Choose the provider's document to link."), field="external_id")
    remote = _read(connection, external_id)  # before any lock: no lock waits on HTTP
    try:
        lock(document)
        _check_fits(document, connection, remote)
        held = (
            db.session.query(ExternalDocument)
            .filter_by(connection_id=connection.id, external_id=remote.external_id)
            .first()
        )
        if held is not None:
            raise InvalidInput(
                _(
                    "That document at %(name)s is already linked to %(number)s.",
                    name=connection.name,
                    number=held.document.number if held.document else held.reference,
                )
            )
        link = (
            db.session.query(ExternalDocument)
            .filter_by(connection_id=connection.id, document_id=document.id)
            .one_or_none()
        )
        if link is not None and not link.deleted_at_provider:
            raise InvalidInput(
                _(
                    "%(number)s is already linked at %(name)s (%(theirs)s).",
                    number=document.number,
                    name=connection.name,
                    theirs=link.number or link.reference,
                )
            )
        partner = _partner(document, connection)
        reference = _reference(connection, document, remote)
        if link is None:
            link = ExternalDocument(
                connection_id=connection.id, document_id=document.id, kind=document.kind
            )
            db.session.add(link)
        link.deal_id = document.deal_id
        link.currency = document.currency
        link.reference = reference
        link.external_id = remote.external_id
        link.deleted_at_provider = False
        link.origin = "linked"
        link.created_by_id = getattr(user, "id", None)
        link.customer_external_id = partner.external_id if partner else None
        link.customer_department_id = partner.department_id if partner else None
        link.last_error = None
        db.session.flush()
        with acting_as(user):
            pulled(link, remote)
            record_event(
                db.session,
                document,
                "linked",
                _(
                    "Linked to %(number)s at %(name)s.",
                    number=remote.number or remote.external_id,
                    name=connection.name,
                ),
            )
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise InvalidInput(
            _("That document was linked by someone else just now; look again.")
        ) from exc
    except BaseException:
        db.session.rollback()
        raise
    return link


def candidates(document: Document, connection: Connection, user) -> list[RemoteDocument]:
    """The customer's documents at ``connection`` that no link holds yet, those carrying
    our reference first (for a person to choose the one to link)."""
    from app.services.sync.clients import adapter_for

    check_may_link(document, user)
    partner = _partner(document, connection)
    if partner is None:
        raise InvalidInput(
            _(
                "%(company)s is not at %(name)s yet: nothing there to link.",
                company=document.company.name,
                name=connection.name,
            )
        )
    adapter, _session = adapter_for(connection)
    listing = getattr(adapter, "customer_invoices", None)
    if listing is None:
        raise InvalidInput(_("%(name)s cannot list a customer's documents.", name=connection.name))
    try:
        found = listing(
            CustomerIds(partner.external_id, partner.department_id), limit=CANDIDATES_SHOWN
        )
    except (NotImplementedError, ProviderError) as exc:
        reason = getattr(exc, "message", None) or str(exc)
        raise InvalidInput(
            _("%(name)s could not be read: %(reason)s", name=connection.name, reason=reason)
        ) from exc
    linked = {
        external_id
        for (external_id,) in db.session.query(ExternalDocument.external_id).filter(
            ExternalDocument.connection_id == connection.id,
            ExternalDocument.external_id.in_([r.external_id for r in found] or [""]),
        )
    }
    free = [r for r in found if r.external_id not in linked]
    mine = f"rk-{document.id}-"
    return sorted(
        free,
        key=lambda r: (
            not (r.reference or "").startswith(mine),
            not (r.reference or "").startswith("rk-"),
        ),
    )


def find_by_reference(document: Document, connection: Connection, user) -> RemoteDocument | None:
    """The customer's document at ``connection`` carrying one of ``document``'s references."""
    mine = f"rk-{document.id}-"
    for remote in candidates(document, connection, user):
        if (remote.reference or "").startswith(mine):
            return remote
    return None


def unlink_from_deal(document: Document, user) -> Document:
    """Take ``document`` and its provider links off their deal (audited)."""
    check_may_link(document, user)
    try:
        lock(document)
        if document.deal_id is None:
            raise InvalidInput(_("%(number)s is not on a deal.", number=document.number))
        links = db.session.query(ExternalDocument).filter_by(document_id=document.id).all()
        refusal = automation.unlink_refusal(document)
        if refusal:
            raise InvalidInput(refusal)
        if any(link.created_by_automation for link in links):
            raise InvalidInput(
                _(
                    "%(number)s was issued by an automation that finds it by its deal; it "
                    "stays on the deal. Void it and make another instead.",
                    number=document.number,
                )
            )
        deal = document.deal
        title = deal.title if deal is not None else f"#{document.deal_id}"
        with acting_as(user):
            document.deal = None
            for link in links:
                link.deal = None
            db.session.flush()
            record_event(
                db.session,
                document,
                "unlinked_from_deal",
                _("Taken off the deal %(deal)s.", deal=title),
            )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return document
