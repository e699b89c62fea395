"""Issuing a Renkei document at provider connections: the one way a document reaches one.

A document is issued through a *link* (``ExternalDocument``): one per document and
connection (a unique constraint), made under the document's row lock, so issuing one
document twice — a double click, two people, two API calls at the same instant — makes
one link and one provider invoice. The link is committed with our reference before the
provider is called; the job (app/services/sync/create.py) looks the invoice up by that
reference before creating it.

From a deal (``invoice_deal``, the deal tab's "Create invoice"): under the deal's row lock
the deal's invoice is made as a Renkei document (its lines, or its title and contract
amount), submitted under the approval rules, and linked to the connection. With no rule
to satisfy it is approved and issued at once; otherwise the link waits
(``awaiting_approval``) and is issued when an approver approves (``issue_awaiting``,
called by approvals.decide). A deal whose invoices already cover its amount is invoiced
again only on an explicit confirmation naming the newest invoice the person saw
(``NeedsConfirmation``): of two confirmed requests at once, the second sees a newer one
and makes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from app.extensions import db
from app.models.connection import Connection
from app.models.documents import Document
from app.models.sync import ExternalDocument, SyncRun
from app.providers.registry import entry
from app.security.rights import CREATE_AT_PROVIDER, user_may
from app.services.documents import approvals, issuing
from app.services.documents.audit import record_event
from app.services.errors import Forbidden, InvalidInput, RenkeiError
from app.services.locking import lock
from app.services.money import format_money
from app.services.sync import runs
from app.services.sync.adapters import ADAPTERS
from app.services.sync.requests import CREATE_JOB, _active_run, _creation_run, _enqueue

# A document may be issued at a provider once it is approved, and later (for example
# the accounting record at freee after the invoice went out from Money Forward).
ISSUABLE_STATES = ("approved", "sent", "partially_paid", "paid", "disputed")
# States in which the approval is still to come: the link waits for it.
AWAITING_STATES = ("draft", "pending_approval")
# Invoices that count when checking whether a deal is already billed.
BILLED_STATES = ("pending_approval", "approved", "sent", "partially_paid", "paid", "disputed")


class NeedsConfirmation(InvalidInput):
    """The deal's invoices already cover its amount: a person must confirm another one.

    ``existing`` lists them (newest last); ``newest_id`` is what the confirmation sends back.
    """

    def __init__(self, message: str, existing: list[Document]):
        super().__init__(message, field="confirm")
        self.existing = existing
        self.newest_id = max(d.id for d in existing)


@dataclass
class Issued:
    """One connection's outcome of an issue: its link and the run creating it (None when
    it waits for approval or was already issued)."""

    link: ExternalDocument
    run: SyncRun | None


# -- checks ------------------------------------------------------------------------


def check_connection(connection: Connection, user) -> None:
    """Raise unless ``user`` may issue documents at ``connection`` and it can take them."""
    if not user_may(user, *CREATE_AT_PROVIDER):
        raise Forbidden(_("You are not allowed to create documents at the provider."))
    connection_ready(connection)


def connection_ready(connection: Connection) -> None:
    """Raise unless ``connection`` can take documents (active, supported, identified)."""
    if connection.status != "connected":
        raise InvalidInput(
            _(
                "The connection %(name)s is not active (%(status)s).",
                name=connection.name,
                status=connection.status,
            )
        )
    if ADAPTERS.get(connection.provider) is None:
        raise InvalidInput(_("Invoices cannot be sent to this provider yet."))
    if entry(connection.provider).needs_organization_id and not connection.organization_id:
        raise InvalidInput(
            _("The connection %(name)s has no organization / company ID.", name=connection.name),
            field="organization_id",
        )


def check_deal_type(deal, connection: Connection) -> None:
    """Only the connection's deal types go to it (all when it names none)."""
    allowed = {t.id for t in connection.deal_types}
    if deal is not None and allowed and deal.deal_type_id not in allowed:
        raise InvalidInput(
            _("Deals of this type are not sent to %(name)s.", name=connection.name),
            field="deal_type",
        )


def check_customer(company, connection: Connection) -> None:
    """What the connection's provider would refuse about the customer, said before sending."""
    problems = ADAPTERS[connection.provider].company_problems(company)
    if "name" in problems:
        raise InvalidInput(_("The customer has no name."), field="company")
    if "postal_code" in problems:
        raise InvalidInput(
            _("The customer's postal code must look like 123-4567."), field="company"
        )


def check_document(document: Document, connection: Connection) -> None:
    """Raise unless ``document`` can go to ``connection`` (kind, currency, deal type, customer)."""
    if document.kind != "invoice":
        raise InvalidInput(
            _(
                "Only invoices are issued at providers; %(number)s is not one.",
                number=document.number,
            ),
            field="kind",
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
    check_legal_entity(document, connection)
    check_deal_type(document.deal, connection)
    check_customer(document.company, connection)


def check_legal_entity(document: Document, connection: Connection) -> None:
    """A connection issues the documents of its own legal entity only (0020_entities)."""
    entity = connection.legal_entity
    if entity is not None and document.legal_entity_id != entity.id:
        raise InvalidInput(
            _(
                "%(number)s is issued by %(issuer)s, but %(name)s belongs to %(entity)s: "
                "a connection only takes documents of its own legal entity.",
                number=document.number,
                issuer=document.legal_entity.name if document.legal_entity else "",
                name=connection.name,
                entity=entity.name,
            ),
            field="legal_entity",
        )


# -- links -------------------------------------------------------------------------


def link_of(document: Document, connection: Connection) -> ExternalDocument | None:
    """The document's link at ``connection``, if it has one."""
    return (
        db.session.query(ExternalDocument)
        .filter_by(document_id=document.id, connection_id=connection.id)
        .one_or_none()
    )


def _new_link(document: Document, connection: Connection, user, status: str) -> ExternalDocument:
    link = ExternalDocument(
        connection_id=connection.id,
        document_id=document.id,
        deal_id=document.deal_id,
        kind=document.kind,
        billing_status=status,
        currency=document.currency,
        reference=f"rk-{document.id}-{uuid.uuid4().hex[:8]}",
        created_by_id=getattr(user, "id", None),
        origin="issued",
    )
    db.session.add(link)
    db.session.flush()
    return link


def _issue_link(document: Document, connection: Connection, user, runs_out: list) -> Issued:
    """Issue ``document`` at ``connection`` (caller holds the document's lock)."""
    link = link_of(document, connection)
    if link is not None and link.external_id:
        return Issued(link, None)  # issued already: one provider invoice per connection
    if link is not None and link.deleted_at_provider:
        raise InvalidInput(
            _(
                "%(number)s was deleted at %(name)s; see the mismatch report to issue it "
                "again or to link another document.",
                number=document.number,
                name=connection.name,
            )
        )
    if document.state in AWAITING_STATES:
        if link is None:
            link = _new_link(document, connection, user, "awaiting_approval")
            record_event(
                db.session,
                document,
                "issue_requested",
                _("To be issued at %(name)s once approved.", name=connection.name),
            )
        return Issued(link, None)
    if link is not None:
        active = _active_run(link)
        if active is not None:
            return Issued(link, active)  # being created now: the same run
    else:
        link = _new_link(document, connection, user, "pending")
    run = _creation_run("create_invoice", link, user)
    runs_out.append(run)
    return Issued(link, run)


def _start(runs_out: list[SyncRun]) -> None:
    """Queue the creation runs committed by the caller."""
    for run in runs_out:
        _enqueue(run, CREATE_JOB, run.id, run.document_id)


def issue(document: Document, connections: list[Connection], user) -> list[Issued]:
    """Issue an approved ``document`` at each of ``connections`` ("Issue at …").

    Under the document's row lock, in one transaction: each connection gets at most one
    link; a link already issued is returned as it is, one being created returns its run.
    """
    if not connections:
        raise InvalidInput(_("Choose at least one connection."), field="connections")
    for connection in connections:
        check_connection(connection, user)
    runs.end_stale_runs()
    try:
        lock(document)
        if document.state not in ISSUABLE_STATES:
            raise InvalidInput(
                _(
                    "Only an approved document is issued at a provider; %(number)s is not "
                    "approved yet.",
                    number=document.number,
                ),
                field="state",
            )
        for connection in connections:
            check_document(document, connection)
        started: list[SyncRun] = []
        issued = [_issue_link(document, c, user, started) for c in connections]
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    _start(started)
    return issued


def issue_awaiting(document: Document, approver=None) -> list[SyncRun]:
    """After ``document`` was approved: issue its links that waited for the approval.

    Each is issued for the person who asked for it (its run's starter), re-checked when
    the job runs; the approval itself is in the trail under the approver."""
    started: list[SyncRun] = []
    try:
        lock(document)
        if document.state not in ISSUABLE_STATES:
            db.session.commit()
            return []
        waiting = (
            db.session.query(ExternalDocument)
            .filter_by(document_id=document.id, billing_status="awaiting_approval")
            .order_by(ExternalDocument.id)
            .all()
        )
        for link in waiting:
            asker = link.created_by_id or getattr(approver, "id", None)
            if link.created_by_automation:
                asker = None  # issued by the rule that asked for it, not the approver
            started.append(_creation_run("create_invoice", link, _User(asker)))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    _start(started)
    return started


@dataclass(frozen=True)
class _User:
    id: int | None


def cancel_awaiting(document: Document) -> int:
    """A voided document's links still waiting for approval are dropped (caller commits)."""
    waiting = db.session.query(ExternalDocument).filter_by(
        document_id=document.id, billing_status="awaiting_approval"
    )
    count = 0
    for link in waiting:
        db.session.delete(link)
        count += 1
    return count


# -- from a deal -------------------------------------------------------------------


def billed_invoices(deal) -> list[Document]:
    """The deal's invoices that bill it (not drafts, not void), oldest first."""
    return (
        db.session.query(Document)
        .filter(Document.deal_id == deal.id, Document.kind == "invoice")
        .filter(Document.state.in_(BILLED_STATES))
        .order_by(Document.id)
        .all()
    )


def deal_gross(deal) -> Decimal:
    """What the deal comes to with tax, as its invoice would (issuer's rounding)."""
    from app.services.sync.agreement import renkei_totals
    from app.services.sync.lines import invoice_lines

    return renkei_totals(invoice_lines(deal)).gross


def _check_not_billed(deal, confirm: int | None) -> None:
    existing = billed_invoices(deal)
    if not existing:
        return
    covered = sum((Decimal(d.total) for d in existing), Decimal(0))
    if covered < deal_gross(deal):
        return  # part of the deal is still to bill (instalments)
    newest = max(d.id for d in existing)
    if confirm is not None and int(confirm) >= newest:
        return
    listed = ", ".join(f"{d.number} ({format_money(d.total, d.currency)})" for d in existing)
    raise NeedsConfirmation(
        _(
            "This deal is already invoiced for its full amount: %(listed)s. Confirm to "
            "create another invoice.",
            listed=listed,
        ),
        existing,
    )


def _in_flight(deal, connection: Connection) -> ExternalDocument | None:
    """The deal's invoice at ``connection`` not yet held there: being issued, waiting for
    approval, or failed without a provider id (its create may have reached the provider,
    so it is issued again under its own reference, looked up first, never replaced)."""
    return (
        db.session.query(ExternalDocument)
        .join(Document, Document.id == ExternalDocument.document_id)
        .filter(ExternalDocument.deal_id == deal.id)
        .filter(ExternalDocument.connection_id == connection.id)
        .filter(ExternalDocument.kind == "invoice")
        .filter(ExternalDocument.external_id.is_(None))
        .filter(ExternalDocument.billing_status.in_(("pending", "awaiting_approval", "failed")))
        .filter(Document.state != "void")
        .order_by(ExternalDocument.id.desc())
        .first()
    )


def check_invoice_allowed(deal, connection: Connection, user) -> None:
    """Raise Forbidden/InvalidInput unless ``user`` may invoice ``deal`` at ``connection``."""
    check_connection(connection, user)
    check_deal_type(deal, connection)
    if deal.currency != connection.base_currency:
        raise InvalidInput(
            _(
                "The deal is in %(deal)s but %(name)s invoices in %(base)s.",
                deal=deal.currency,
                name=connection.name,
                base=connection.base_currency,
            ),
            field="currency",
        )
    if not deal.lines and Decimal(deal.amount or 0) <= 0:
        raise InvalidInput(_("The deal has no lines and no amount to invoice."), field="amount")
    check_customer(deal.company, connection)


def invoice_deal(deal, connection: Connection, user, confirm: int | None = None) -> Issued:
    """The deal tab's "Create invoice": make the deal's invoice in Renkei and issue it.

    One transaction under the deal's row lock. A request while the deal's invoice at this
    connection is being issued (or waits for approval) gets that one. Otherwise a new
    Renkei invoice is made from the deal and submitted: approved at once when no rule
    applies (then issued), else it waits in the approval queue with its link.
    """
    check_invoice_allowed(deal, connection, user)
    runs.end_stale_runs()
    started: list[SyncRun] = []
    try:
        lock(deal)
        current = _in_flight(deal, connection)
        if current is not None and current.billing_status != "failed":
            db.session.commit()
            return Issued(current, _active_run(current))
        if current is not None:  # its create failed: issue the same document again
            issued = _issue_link(current.document, connection, user, started)
            db.session.commit()
            _start(started)
            return issued
        _check_not_billed(deal, confirm)
        document = issuing.from_deal(
            deal, "invoice", user=user, commit=False, legal_entity=connection.legal_entity
        )
        approvals.submit(document, user, commit=False)
        check_document(document, connection)
        issued = _issue_link(document, connection, user, started)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    _start(started)
    return issued


def issue_automatic(document: Document, connection: Connection, started: list) -> Issued:
    """Stage automation: issue ``document`` (made by a rule) at ``connection``, now if it
    is approved, else once it is. The caller holds the deal's lock, commits, then queues
    ``started`` with ``start_runs``. The rule acts with the rights of whoever configured
    it, so no person's right is checked here; the connection and document checks hold."""
    connection_ready(connection)
    check_document(document, connection)
    issued = _issue_link(document, connection, _User(None), started)
    issued.link.created_by_automation = True
    return issued


def start_runs(started: list[SyncRun]) -> None:
    """Queue the creation runs a caller of ``issue_automatic`` has committed."""
    _start(started)


def request_invoice(deal, connection, user, confirm: int | None = None):
    """``invoice_deal`` as (link, run): the run is None while it waits for approval."""
    issued = invoice_deal(deal, connection, user, confirm)
    return issued.link, issued.run


def wire() -> None:
    """Issue waiting links when their document is approved (idempotent)."""
    if issue_awaiting not in approvals.AFTER_APPROVAL:
        approvals.AFTER_APPROVAL.append(issue_awaiting)


__all__ = [
    "Issued",
    "NeedsConfirmation",
    "RenkeiError",
    "check_invoice_allowed",
    "invoice_deal",
    "issue",
    "issue_automatic",
    "issue_awaiting",
    "request_invoice",
]
