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

from flask_babel import gettext as _

from app.extensions import db
from app.models.documents import Document
from app.models.publishing import EmailDispatch
from app.models.sync import ExternalDocument
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

# A Renkei document in these states has not gone to anyone yet.
UNSENT_STATES = ("draft", "pending_approval", "approved")
# A link in these statuses has money on it at the provider: sent, whatever else it says.
PAID_LINK_STATUSES = ("partially_paid", "paid")
EMAIL_OUT = ("queued", "sending", "sent")


def _provider(link: ExternalDocument) -> str:
    return entry(link.connection.provider).name


def sent_reason(document: Document) -> str | None:
    """Why ``document`` counts as sent (in words), or None when it is unsent. A provider
    holding it is asked now (its status in our link may be hours old); when it cannot be
    asked, the ProviderError goes up: a failure with a Retry, nothing voided on a guess."""
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
        adapter, _calls = adapter_for(link.connection)
        if adapter.sent_to_customer(link.external_id):  # a provider's error: a failure
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


def _void_at_providers(document: Document) -> str | None:
    """Void ``document``'s provider copies; the refusal in words if one cannot be."""
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
        adapter, _calls = adapter_for(link.connection)
        remote = adapter.void_invoice(link.external_id)  # a refusal: a failure, with Retry
        link.billing_status = remote.status if remote is not None else "void"
        link.payment_status = remote.payment_status if remote is not None else "void"
        record_event(
            db.session,
            document,
            "voided_at_provider",
            _(
                "Voided at %(provider)s (%(name)s): %(their)s.",
                provider=_provider(link),
                name=link.connection.name,
                their=link.number or link.external_id,
            ),
        )
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
            outcomes.append(_void_one(deal, rule, stage, user, document))
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


def _void_one(deal, rule, stage: str, user, document: Document) -> str:
    """Void one invoice of the lost deal, or say on the deal why it stays (locked)."""
    reason = sent_reason(document)
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
    refusal = _void_at_providers(document)
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
