"""What comes back settles the document: payments between Renkei and the providers.

From a provider (``settle_from_provider``, after each pull): a provider that reports its
invoice paid or partly paid has the payment recorded on the Renkei invoice — the amount
it reports as paid (Zoho: total less balance; a provider that reports only "paid", such
as Money Forward, is taken to have received what the invoice still owes), on the date it
reports (else the day of the pull, Tokyo). Recorded once: what is recorded is the
provider's cumulative amount less what that connection's payments already hold, so
pulling again adds nothing; never more than the invoice owes. The payment carries the
connection and the trail says which provider reported it.

To a provider (``push_paid``, after a payment is recorded in Renkei): when the invoice is
paid, each link at a provider whose API takes a payment status (Money Forward's
``payment_status``) is told so by a job; the others keep their own status until a person
records it there, and the mismatch report shows the difference.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _
from sqlalchemy import func

from app.extensions import db
from app.models.connection import Connection
from app.models.crm import utcnow
from app.models.documents import Document, Payment
from app.models.sync import ExternalDocument
from app.providers.errors import ProviderError, provider_name
from app.services import launchers
from app.services.actor import acting_as
from app.services.documents import lifecycle, payments
from app.services.documents.audit import record_event
from app.services.locking import lock
from app.services.money import format_money, round_money
from app.services.sync.adapters import ADAPTERS, RemoteDocument

log = logging.getLogger(__name__)

PUSH_JOB = "push_payment_status_job"
PAID_STATUSES = ("paid", "partially_paid")


def reported_paid(document: Document, remote: RemoteDocument) -> Decimal | None:
    """What the provider says was paid on ``document`` in all; None when it says nothing
    a payment can be recorded from (unpaid, or partly paid without an amount)."""
    if remote.status not in PAID_STATUSES:
        return None
    if remote.paid_amount is not None:
        return round_money(Decimal(remote.paid_amount), document.currency)
    if remote.status == "paid":
        return Decimal(document.total)
    return None


def recorded_from(document_id: int, connection_id: int) -> Decimal:
    """What ``connection`` has already reported as paid on the document."""
    value = (
        db.session.query(func.coalesce(func.sum(Payment.amount), 0))
        .filter(Payment.document_id == document_id, Payment.connection_id == connection_id)
        .scalar()
    )
    return Decimal(value)


def settle_from_provider(link: ExternalDocument, remote: RemoteDocument) -> Payment | None:
    """Record on the link's Renkei invoice what the provider reports paid beyond what it
    reported before; returns the payment made, if any (the caller commits)."""
    if remote.status not in PAID_STATUSES:
        return None  # decided before loading the invoice: most pulled links are unpaid
    document = link.document
    if document is None or document.kind != "invoice":
        return None
    reported = reported_paid(document, remote)
    if reported is None:
        return None
    if reported <= recorded_from(document.id, link.connection_id):
        return None  # nothing new: the common case, decided without a lock
    lock(document)
    new = reported - recorded_from(document.id, link.connection_id)
    if new <= 0 or document.state not in lifecycle.OPEN_STATES:
        return None  # a void/written-off invoice: the mismatch report shows it
    owed = payments.balance(document)
    amount = min(new, owed)
    if amount <= 0:
        return None
    connection = db.session.get(Connection, link.connection_id)
    provider = provider_name(connection.provider, connection.name)
    paid_on = remote.paid_on or lifecycle.today_tokyo()
    with acting_as(None):
        payment = Payment(
            document=document,
            amount=amount,
            paid_on=paid_on,
            method="bank_transfer",
            reference=(link.number or link.external_id or "")[:100] or None,
            note=_("Reported by %(provider)s.", provider=provider),
            connection_id=link.connection_id,
        )
        db.session.add(payment)
        payments.settle(document, owed - amount)
        db.session.flush()
        record_event(
            db.session,
            document,
            "provider_payment",
            _(
                "%(provider)s (%(connection)s) reported %(amount)s paid on %(date)s; "
                "recorded as a payment.",
                provider=provider,
                connection=connection.name,
                amount=format_money(amount, document.currency),
                date=paid_on.isoformat(),
            ),
        )
    return payment


# -- Renkei → provider ---------------------------------------------------------------


def pushable_links(document: Document) -> list[ExternalDocument]:
    """The document's issued links at providers whose API takes a payment status."""
    return [
        link
        for link in db.session.query(ExternalDocument).filter_by(document_id=document.id)
        if link.external_id
        and not link.deleted_at_provider
        and getattr(ADAPTERS.get(link.connection.provider), "supports_payment_push", False)
    ]


def push_paid(invoice: Document, payment: Payment, user=None) -> int:
    """After a payment recorded in Renkei: tell the providers that take it that the invoice
    is paid (one job per link); returns how many were queued. A payment reported by a
    provider is not pushed back."""
    if payment.connection_id is not None or invoice.state != "paid":
        return 0
    queued = 0
    for link in pushable_links(invoice):
        try:
            launchers.launch(PUSH_JOB, link.id, getattr(user, "id", None))
            queued += 1
        except Exception as exc:  # the queue is down: say so on the link, keep the payment
            link.last_error = _(
                "The paid status could not be queued for the provider (%(error)s).",
                error=str(exc),
            )
            db.session.commit()
    return queued


def perform_push(link_id: int, user_id: int | None = None) -> str:
    """The push job's work: set the provider's payment status of ``link_id`` to paid."""
    from app.services.sync.clients import adapter_for
    from app.services.sync.refresh import apply_remote

    link = db.session.get(ExternalDocument, link_id)
    if link is None or link.document is None or not link.external_id:
        return "gone"
    if link.document.state != "paid":
        return "unpaid"
    try:
        adapter, _session = adapter_for(link.connection)
        remote = adapter.push_payment_status(link.external_id, True)
    except ProviderError as exc:
        link.last_error = _(
            "The paid status could not be set there: %(reason)s", reason=exc.message
        )
        db.session.commit()
        return "failed"
    if remote is not None:
        apply_remote(link, remote)
    link.last_pushed_at = utcnow()
    link.last_error = None
    with acting_as(db.session.get(User, user_id) if user_id else None):
        record_event(
            db.session,
            link.document,
            "payment_pushed",
            _(
                "The paid status was set at %(connection)s.",
                connection=link.connection.name,
            ),
        )
    db.session.commit()
    return "pushed"


def wire() -> None:
    """Push paid statuses after payments recorded in Renkei (idempotent)."""
    if push_paid not in payments.AFTER_PAYMENT:
        payments.AFTER_PAYMENT.append(push_paid)
