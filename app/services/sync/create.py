"""The create-invoice job's work: push the customer, then the Renkei document, exactly once.

What goes is the Renkei document (app/services/sync/issuing.py made its link): its
customer, lines, issue and due dates; once the provider holds it, an approved document
becomes sent, in the audit trail under the person who issued it.

Idempotency: the link (ExternalDocument, with our reference) exists before the provider is
called, and the provider is searched for a document carrying that reference before one
is created — so a double click, a retried job or a worker killed after the provider
answered but before we saved never makes a second invoice. When a create's outcome is
unknown (timeout or dropped connection after the request left), the job looks for it
again a few times before reporting; a later Retry looks again before creating.
Every provider is reached through its adapter (app/services/sync/adapters).
"""

from __future__ import annotations

import time
from datetime import datetime
from datetime import time as time_of_day

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.crm import utcnow
from app.models.sync import ExternalDocument, PartnerLink, SyncRun
from app.providers.errors import (
    ProviderDataError,
    ProviderError,
    TransientError,
    ValidationError,
    provider_name,
)
from app.security.rights import CREATE_AT_PROVIDER, user_may
from app.services.actor import acting_as
from app.services.documents import lifecycle
from app.services.documents.audit import record_event
from app.services.errors import RenkeiError
from app.services.sync import agreement, runs
from app.services.sync.adapters import CustomerIds, OutgoingDocument, RemoteDocument
from app.services.sync.clients import adapter_for
from app.services.sync.lines import document_lines

# Seconds to wait before each look-up after an uncertain create (SYNC_RECHECK_DELAYS).
RECHECK_DELAYS = (1.0, 2.0, 4.0)


def ensure_customer(adapter, connection, company) -> PartnerLink:
    """The company's record at the provider: created on first use, updated when changed."""
    link = (
        db.session.query(PartnerLink)
        .filter_by(connection_id=connection.id, company_id=company.id)
        .first()
    )
    print_ = adapter.fingerprint(company)
    if link is None:
        ids = _adopt_or_create(adapter, company)
        link = PartnerLink(
            connection_id=connection.id,
            company_id=company.id,
            external_id=ids.external_id,
            department_id=ids.department_id,
            pushed_fingerprint=print_,
            last_pushed_at=utcnow(),
        )
        db.session.add(link)
        try:
            db.session.commit()
        except IntegrityError:  # another worker linked the same company just now
            db.session.rollback()
            return (
                db.session.query(PartnerLink)
                .filter_by(connection_id=connection.id, company_id=company.id)
                .one()
            )
    elif link.pushed_fingerprint != print_:
        adapter.update_customer(CustomerIds(link.external_id, link.department_id), company)
        link.pushed_fingerprint = print_
        link.last_pushed_at = utcnow()
        db.session.commit()
    return link


def _adopt_or_create(adapter, company) -> CustomerIds:
    """The provider's record made by an earlier attempt, else a new one."""
    ids = adapter.adopt_customer(company)
    if ids is not None:
        return ids
    try:
        return adapter.create_customer(company)
    except ValidationError:
        # Two workers raced: the other one created it; anything else is re-raised.
        ids = adapter.adopt_customer(company)
        if ids is None:
            raise
        return ids


def save_document(document: ExternalDocument, remote: RemoteDocument) -> None:
    """Store what the provider answered on our document (and the deal's summary)."""
    document.external_id = remote.external_id
    document.number = remote.number
    document.issue_date = remote.issue_date
    document.due_date = remote.due_date
    document.total = remote.total
    document.payment_status = remote.payment_status
    document.billing_status = remote.status
    document.provider_url = remote.url
    document.last_pushed_at = utcnow()
    document.last_error = None


def mark_issued(run: SyncRun, document: ExternalDocument) -> None:
    """The provider holds the document now: an approved Renkei document becomes sent, and
    the trail says where, under the person who issued it (the caller commits)."""
    renkei = document.document
    provider = provider_name(document.connection.provider, document.connection.name)
    with acting_as(run.started_by):
        if renkei.state == "approved":
            lifecycle.move(renkei, "sent")
            renkei.sent_at = renkei.sent_at or utcnow()
        record_event(
            db.session,
            renkei,
            "issued_at_provider",
            _(
                "Issued at %(provider)s (%(connection)s) as %(number)s.",
                provider=provider,
                connection=document.connection.name,
                number=document.number or document.external_id,
            ),
        )
        db.session.flush()  # the state change is in the trail under the same person


def look_since(document: ExternalDocument) -> datetime:
    """From when to look for the invoice an earlier attempt made: the link's creation, or
    the document's issue date if earlier (freee lists by billing date, and an invoice
    dated last week but issued today is billed on that earlier day)."""
    created = document.created_at or utcnow()
    renkei = document.document
    if renkei is None or renkei.issue_date is None:
        return created
    return min(created, datetime.combine(renkei.issue_date, time_of_day.min))


def _uncertain(exc: ProviderError) -> bool:
    return isinstance(exc, TransientError) and exc.outcome_unknown


def _look_again(adapter, document: ExternalDocument, customer) -> RemoteDocument | None:
    """After an uncertain create: did the provider make it after all? Asks a few times,
    waiting first, because a slow provider may still be working on our request."""
    for delay in current_app.config.get("SYNC_RECHECK_DELAYS", RECHECK_DELAYS):
        time.sleep(delay)
        remote = adapter.find_invoice(document.reference, look_since(document), customer)
        if remote is not None:
            return remote
    return None


def _reason(exc: ProviderError) -> str:
    """The provider's own words, field by field when it named the fields."""
    fields = getattr(exc, "field_errors", None) or {}
    if fields:
        return "; ".join(
            f"{name}: {', '.join(msgs)}" if name else ", ".join(msgs)
            for name, msgs in fields.items()
        )
    return exc.provider_message or exc.message


def _message(exc: ProviderError) -> str:
    """What went wrong, for a back-office person, with what happens next."""
    if _uncertain(exc):
        return _(
            "%(provider)s did not confirm the invoice (%(reason)s) and it was not found "
            "there afterwards. Retry looks for it again before creating, so it is never "
            "created twice.",
            provider=exc.provider_name,
            reason=_reason(exc),
        )
    if isinstance(exc, ProviderDataError):
        return _(
            "%(provider)s answered in a form Renkei cannot read (%(reason)s). The invoice "
            "may exist there; Retry looks for it before creating, so it is never created "
            "twice.",
            provider=exc.provider_name,
            reason=exc.message,
        )
    if isinstance(exc, TransientError):
        return _(
            "%(provider)s could not be reached (%(reason)s). No invoice was created; "
            "try again later.",
            provider=exc.provider_name,
            reason=_reason(exc),
        )
    return _(
        "%(provider)s refused the invoice: %(reason)s",
        provider=exc.provider_name,
        reason=_reason(exc),
    )


def _fail(run: SyncRun, document: ExternalDocument, message: str) -> None:
    db.session.rollback()
    document.billing_status = "failed"
    document.last_error = message
    runs.record_failure(run, message, deal_id=document.deal_id, document_id=document.id)
    run.done = 1
    runs.finish(run, message, failed=True)


def _sent_for(document: ExternalDocument) -> CustomerIds | None:
    """The provider customer the last create of ``document`` was sent for, if one was."""
    if not document.customer_external_id:
        return None
    return CustomerIds(document.customer_external_id, document.customer_department_id)


def _record_customer(document: ExternalDocument, customer: CustomerIds) -> None:
    """Save, before the create leaves, whom it is sent for: a later look-up searches
    that customer's documents even if the deal's company has changed by then."""
    document.customer_external_id = customer.external_id
    document.customer_department_id = customer.department_id
    db.session.commit()


def outgoing(document: ExternalDocument) -> OutgoingDocument:
    """What the link's Renkei document sends: its number, dates and exact lines."""
    renkei = document.document
    title = renkei.deal.title if renkei.deal is not None else renkei.number
    return OutgoingDocument(
        reference=document.reference,
        title=title or renkei.number,
        number=renkei.number,
        issue_date=renkei.issue_date,
        due_date=renkei.due_date,
        lines=document_lines(renkei),
    )


def _create(adapter, connection, document: ExternalDocument) -> RemoteDocument:
    """Find the invoice an earlier attempt made, else create it (once).

    The look-up searches among the documents of the customer the last create was sent
    for (recorded on the document), not the deal's company of today: if the company
    changed between an uncertain create and this retry, the invoice made for the old
    one is still found. Each create is preceded by a look-up under the customer of the
    create before it, so only the last one recorded can hold an unconfirmed invoice.
    """
    company = document.document.company
    earlier = _sent_for(document)
    if earlier is not None:
        remote = adapter.find_invoice(document.reference, look_since(document), earlier)
        if remote is not None:
            return remote
    link = ensure_customer(adapter, connection, company)
    customer = CustomerIds(link.external_id, link.department_id)
    if earlier is None:  # no create was sent yet (or one from before this was recorded)
        remote = adapter.find_invoice(document.reference, look_since(document), customer)
        if remote is not None:
            return remote
    _record_customer(document, customer)
    try:
        return adapter.create_invoice(outgoing(document), customer)
    except TransientError as exc:
        if not _uncertain(exc):
            raise
        remote = _look_again(adapter, document, customer)
        if remote is None:
            raise
        return remote


def perform_create(run_id: int, document_id: int) -> str:
    """Create document ``document_id`` at its provider; returns the document's status."""
    run = db.session.get(SyncRun, run_id)
    document = db.session.get(ExternalDocument, document_id)
    if document.external_id:  # an earlier attempt got through and saved it
        runs.finish(run)
        return document.billing_status
    runs.start(run)
    if run.started_by_id is not None and not user_may(run.started_by_id, *CREATE_AT_PROVIDER):
        _fail(
            run,
            document,
            _(
                "The user who asked for this invoice may no longer create documents at the "
                "provider; nothing was sent."
            ),
        )
        return "failed"
    connection = document.connection
    if connection.status != "connected":
        _fail(run, document, _("The connection %(name)s is not active.", name=connection.name))
        return "failed"
    try:
        adapter, session = adapter_for(connection)
    except RenkeiError as exc:  # e.g. a URL that may not receive our secrets
        _fail(run, document, str(exc))
        return "failed"
    try:
        remote = _create(adapter, connection, document)
        run.created = (run.created or 0) + 1  # by this run or an attempt of it
        save_document(document, remote)
        mark_issued(run, document)
        agreement.check_created(run, document, remote)
        run.done = 1
        run.api_calls = (run.api_calls or 0) + session.calls
        runs.finish(run, _("Invoice %(number)s created.", number=document.number or ""))
    except ProviderError as exc:
        _fail(run, document, _message(exc))
        run.api_calls = (run.api_calls or 0) + session.calls
        db.session.commit()
    return document.billing_status
