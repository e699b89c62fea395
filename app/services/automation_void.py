"""Stage automation on lost: void the deal's unsent invoices, here and at the provider.

An invoice is *sent* once its customer may have it: a payment state (partly paid, paid,
disputed, written off), an email queued, sending or sent, or a provider that says it
went out (asked at that moment: Zoho's status past draft, freee's sending_status, Money
Forward's email or posting status). Those are left as they are, with a note on
the deal saying why. The others are voided in Renkei; one the provider already holds as
a draft is voided there first (Zoho: status/void, freee: cancel), and one at a provider
whose API cannot void (Money Forward) is left, with a note saying what to do by hand.
"""

from __future__ import annotations

import json

from flask_babel import gettext as _

from app.extensions import db
from app.models.crm import utcnow
from app.models.documents import Document
from app.models.publishing import EmailDispatch
from app.models.sync import ExternalDocument, SyncFailure, SyncRun
from app.providers.errors import ProviderError
from app.providers.registry import entry
from app.services.automation_record import note
from app.services.documents import approvals, lifecycle
from app.services.documents.audit import record_event
from app.services.errors import InvalidInput
from app.services.locking import lock
from app.services.sync import issuing as sync_issuing
from app.services.sync.adapters import ADAPTERS
from app.services.sync.clients import adapter_for

# The sync history's kind of a run that voids one invoice at its provider.
VOID_RUN = "void_at_provider"
# A Renkei document in these states has not gone to anyone yet.
UNSENT_STATES = ("draft", "pending_approval", "approved")
# A link in these statuses has money on it at the provider: sent, whatever else it says.
PAID_LINK_STATUSES = ("partially_paid", "paid")
EMAIL_OUT = ("queued", "sending", "sent")


def _provider(link: ExternalDocument) -> str:
    return entry(link.connection.provider).name


def sent_reason(document: Document, run: SyncRun | None = None) -> str | None:
    """Why ``document`` counts as sent (in words), or None when it is unsent. A provider
    holding it is asked now (its status in our link may be hours old); when it cannot be
    asked, the ProviderError goes up: a failure with a Retry, nothing voided on a guess
    (and a failed ``void_at_provider`` run of the link — ``run`` when a Retry opened it)."""
    if document.state not in UNSENT_STATES + ("sent",):
        return _(
            "%(number)s is %(state)s.",
            number=document.number,
            state=lifecycle.STATE_LABELS[document.state],
        )
    emailed = (
        db.session.query(EmailDispatch)
        .filter(EmailDispatch.document_id == document.id, EmailDispatch.state.in_(EMAIL_OUT))
        .first()
    )
    if emailed is not None:
        return _("%(number)s was emailed to the customer.", number=document.number)
    for link in document.links:
        if not link.external_id or link.billing_status == "void":
            continue
        if link.billing_status in PAID_LINK_STATUSES:
            return _(
                "%(number)s is paid at %(name)s.", number=document.number, name=link.connection.name
            )
        adapter, session = adapter_for(link.connection)
        try:
            sent = adapter.sent_to_customer(link.external_id)
        except (ProviderError, InvalidInput) as exc:  # a failure, with a Retry
            words = _(
                "%(number)s was not voided: %(name)s could not be asked whether it was sent "
                "(%(error)s).",
                number=document.number,
                name=link.connection.name,
                error=str(exc),
            )
            failed = run if run is not None and run.document_id == link.id else void_run(link)
            end_void_run(failed, words, error=True, calls=session.calls)
            raise
        if sent:
            return _(
                "%(number)s was sent to the customer from %(name)s.",
                number=document.number,
                name=link.connection.name,
            )
    return None


def _in_flight(document: Document) -> ExternalDocument | None:
    for link in document.links:
        if link.billing_status == "pending":
            return link
    return None


def void_run(link: ExternalDocument, user=None) -> SyncRun:
    """A running sync-history run voiding ``link`` at its provider (the caller holds the
    deal's lock and commits). Failures of earlier void runs of the link not yet retried
    are retried by this one, whichever door (deal page, sync history) started it."""
    run = SyncRun(
        kind=VOID_RUN,
        connection_id=link.connection_id,
        started_by_id=getattr(user, "id", None),
        status="running",
        total=1,
        deal_ids=json.dumps([link.deal_id]) if link.deal_id else None,
        document_id=link.id,
        started_at=utcnow(),
        heartbeat_at=utcnow(),
    )
    db.session.add(run)
    db.session.flush()
    earlier = (
        db.session.query(SyncFailure)
        .join(SyncRun, SyncFailure.run_id == SyncRun.id)
        .filter(SyncRun.kind == VOID_RUN, SyncRun.id != run.id)
        .filter(SyncFailure.document_id == link.id, SyncFailure.retried_run_id.is_(None))
    )
    for failure in earlier:
        failure.retried_run_id = run.id
    return run


def end_void_run(run: SyncRun, message: str, error: bool = False, calls: int = 0) -> None:
    """Close ``run`` finished (one invoice voided or found needing nothing) or failed with
    ``message`` as its failure (the caller commits)."""
    run.api_calls = (run.api_calls or 0) + calls
    run.done = run.total or 1
    run.status = "failed" if error else "finished"
    run.finished_at = utcnow()
    run.message = message
    if error:
        link = db.session.get(ExternalDocument, run.document_id) if run.document_id else None
        db.session.add(
            SyncFailure(
                run_id=run.id,
                message=message,
                deal_id=link.deal_id if link is not None else None,
                document_id=run.document_id,
            )
        )
        run.failed = (run.failed or 0) + 1
    else:
        run.updated = (run.updated or 0) + 1


def _void_at_providers(document: Document, run: SyncRun | None = None) -> str | None:
    """Void ``document``'s provider copies; the refusal in words if one cannot be.

    Each provider call is a run of the sync history (kind ``void_at_provider``): finished,
    or failed with the provider's words and a Retry (``automation.retry_void_run``);
    ``run`` is the one a Retry opened for its link."""
    for link in document.links:
        if not link.external_id or link.billing_status == "void":
            continue
        adapter_class = ADAPTERS.get(link.connection.provider)
        if adapter_class is None or not adapter_class.supports_void:
            return _(
                "%(number)s is at %(name)s, whose API cannot void an invoice: void or "
                "delete %(their)s there, then void %(number)s here.",
                number=document.number,
                name=link.connection.name,
                their=link.number or link.external_id,
            )
        sync_run = run if run is not None and run.document_id == link.id else None
        sync_run = sync_run or void_run(link)  # started by the rule: no person
        adapter, session = adapter_for(link.connection)
        their = link.number or link.external_id
        try:
            remote = adapter.void_invoice(link.external_id)  # a refusal: a failure, with Retry
        except (ProviderError, InvalidInput) as exc:
            words = _(
                "%(number)s was not voided at %(name)s: %(error)s",
                number=document.number
                if their == document.number
                else f"{document.number} ({their})",
                name=link.connection.name,
                error=str(exc),
            )
            end_void_run(sync_run, words, error=True, calls=session.calls)
            record_event(db.session, document, "automation", words)
            raise
        link.billing_status = remote.status if remote is not None else "void"
        link.payment_status = remote.payment_status if remote is not None else "void"
        link.last_error = None
        words = _(
            "Voided at %(provider)s (%(name)s): %(their)s.",
            provider=_provider(link),
            name=link.connection.name,
            their=their,
        )
        end_void_run(sync_run, words, calls=session.calls)
        record_event(db.session, document, "voided_at_provider", words)
    return None


def void_unsent(deal, rule, stage: str, user) -> str:
    """Void the deal's unsent invoices (caller holds the deal's lock, acts as the rule,
    and commits); every invoice gets a note; the last outcome is returned."""
    invoices = (
        db.session.query(Document)
        .filter(Document.deal_id == deal.id, Document.kind == "invoice")
        .filter(Document.state != "void")
        .order_by(Document.id)
        .all()
    )
    outcomes = []
    for document in invoices:
        lock(document)
        try:
            outcomes.append(void_one(deal, rule, stage, user, document))
        except (ProviderError, InvalidInput) as exc:  # asking or voiding at the provider
            text = _(
                "%(number)s was not voided: %(error)s Retry applies the rule again.",
                number=document.number,
                error=str(exc),
            )
            note(deal, rule, stage, user, "failed", text, document)
            outcomes.append("failed")
    for outcome in ("failed", "refused", "voided"):
        if outcome in outcomes:
            return outcome
    return "left"


def void_one(deal, rule, stage: str, user, document: Document, run: SyncRun | None = None) -> str:
    """Void one invoice of the lost deal, or say on the deal why it stays (locked)."""
    reason = sent_reason(document, run)
    if reason is not None:
        text = _("%(number)s was left as it is: it was already sent.", number=document.number)
        note(deal, rule, stage, user, "left", f"{text} {reason}", document)
        return "left"
    flying = _in_flight(document)
    if flying is not None:
        note(
            deal,
            rule,
            stage,
            user,
            "left",
            _(
                "%(number)s was left as it is: it is being issued at %(name)s right now; "
                "void it there and here once that ends.",
                number=document.number,
                name=flying.connection.name,
            ),
            document,
        )
        return "left"
    refusal = _void_at_providers(document, run)
    if refusal is not None:
        note(deal, rule, stage, user, "refused", refusal, document)
        return "refused"
    lifecycle.move(document, "void")
    approvals.withdraw(document, _("Withdrawn: the deal was lost."))
    sync_issuing.cancel_awaiting(document)
    record_event(
        db.session,
        document,
        "automation",
        _(
            "Voided by automation rule %(rule)s: the deal was lost.",
            rule=rule.name,
        ),
    )
    note(
        deal,
        rule,
        stage,
        user,
        "voided",
        _("%(number)s voided: the deal was lost.", number=document.number),
        document,
    )
    db.session.flush()
    return "voided"
