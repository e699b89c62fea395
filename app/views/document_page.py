"""What the document page shows, gathered in one place for its template: totals per tax
rate, balance, payments, approval history, actions the reader may take, emails, links
and the document's audit trail."""

from __future__ import annotations

from decimal import Decimal

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models.choices import TAX_RATE_LABELS
from app.models.document_kinds import KINDS
from app.models.documents import Document, Payment
from app.models.publishing import EmailDispatch
from app.security.rights import user_may
from app.services.documents import actions, approvals, lifecycle, payments, sending
from app.services.documents.issuer import rounding_of
from app.services.documents.payments import PAYMENT_METHODS
from app.services.errors import RenkeiError
from app.services.exchange_rates import conversion_of, format_rate
from app.services.tax import compute_totals
from app.views.audit_words import trail_of
from app.views.document_data import state_badge
from app.views.document_labels import (  # noqa: F401  (names other screens import here)
    AUDIT_ACTION_LABELS,
    DECISION_LABELS,
    PAYMENT_METHOD_LABELS,
)
from app.views.document_links import provider_links
from app.views.money import Money, local_time

# kind → its list screen's endpoint name, from the registry of kinds.
VIEW_OF_KIND = {code: kind.view_name for code, kind in KINDS.items()}
# States from which a document may be emailed (approved first sends; later ones resend).
SENDABLE = ("approved", "sent", "partially_paid", "disputed", "paid")


def document_url(document: Document) -> str:
    """The page of ``document`` on its kind's screen."""
    return url_for(f"{VIEW_OF_KIND[document.kind]}.show", pk=document.id)


def _money(amount, currency):
    return Money(Decimal(amount), currency)


def _totals(document: Document):
    rounding = rounding_of(document)  # frozen once the document left draft
    totals = compute_totals(
        [(Decimal(line.amount), line.tax_rate) for line in document.lines],
        document.currency,
        rounding,
        allow_negative=document.kind == "credit_note",
    )
    return [
        {
            "label": TAX_RATE_LABELS.get(rate.rate_code, rate.rate_code),
            "reduced": rate.reduced,
            "net": _money(rate.net, document.currency),
            "tax": _money(rate.tax, document.currency),
            "gross": _money(rate.gross, document.currency),
        }
        for rate in totals.rates
    ]


def _approvals(document: Document):
    return [
        {
            "requested_by": request.requested_by.username if request.requested_by else "",
            "requested_at": local_time(request.requested_at),
            "reasons": approvals.reasons_in_words(request.reasons),
            "amount": _money(request.amount, document.currency),
            "decision": request.decision,
            "decision_label": DECISION_LABELS.get(request.decision, request.decision),
            "decided_by": request.decided_by.username if request.decided_by else "",
            "decided_at": local_time(request.decided_at) if request.decided_at else "",
            "comment": request.comment or "",
        }
        for request in document.approvals
    ]


def _load_payments(document: Document) -> None:
    """The invoice's payments with their connection and recorder, in one statement."""
    rows = (
        db.session.query(Payment)
        .options(joinedload(Payment.connection), joinedload(Payment.recorded_by))
        .filter(Payment.document_id == document.id)
        .order_by(Payment.paid_on, Payment.id)
        .all()
    )
    set_committed_value(document, "payments", rows)


def _related(document: Document):
    """Documents made from this one (an invoice from a quote, credit notes)."""
    made = (
        db.session.query(Document)
        .filter(Document.source_id == document.id)
        .order_by(Document.id)
        .all()
    )
    return [
        {"number": d.number, "kind": lifecycle.KIND_LABELS[d.kind], "url": document_url(d)}
        for d in made
    ]


def _dispatch_row(dispatch: EmailDispatch) -> dict:
    """One email of the document; a "sending" that went stale reads "unknown"."""
    state = sending.shown_state(dispatch)
    return {
        "id": dispatch.id,
        "recipient": dispatch.recipient,
        "cc": dispatch.cc or "",
        "subject": dispatch.subject,
        "state": state,
        "state_label": sending.DISPATCH_STATE_LABELS.get(state, state),
        "error": dispatch.error or "",
        "at": local_time(dispatch.sent_at or dispatch.created_at),
        "status_url": url_for(
            f"{VIEW_OF_KIND[dispatch.document.kind]}.email_status", pk=dispatch.id
        ),
    }


def email_status(dispatch: EmailDispatch) -> dict:
    """An email's state in words and whether it is settled, with its document's state
    (the badge as HTML): what the page's poller shows when the send job is done."""
    row = _dispatch_row(dispatch)
    document = dispatch.document
    return {
        "id": dispatch.id,
        "state": row["state"],
        "state_label": str(row["state_label"]),
        "error": row["error"],
        "at": row["at"],
        "finished": row["state"] not in ("queued", "sending"),
        "document_state": document.state,
        "document_badge": str(state_badge(lifecycle.display_state(document))),
    }


def _send_preview(document: Document, user, may_send: bool) -> dict | None:
    """The send form's values (template's subject and body …), or the reason there are none."""
    if not may_send:
        return None
    try:
        return sending.preview(document)
    except RenkeiError as refused:
        return {"error": str(refused)}


def _conversion(document: Document) -> dict | None:
    """The rate (frozen, or the one it would take now while a draft) and the base total."""
    conversion = conversion_of(document)
    if conversion is None:
        return None
    return {
        "frozen": conversion.frozen,
        "pair": f"{conversion.currency}/{conversion.base_currency}",
        "rate": (
            f"1 {conversion.currency} = {format_rate(conversion.rate)} {conversion.base_currency}"
            if conversion.rate is not None
            else None
        ),
        "rate_date": conversion.rate_date,
        "base_total": _money(conversion.base_total, conversion.base_currency)
        if conversion.base_total is not None
        else None,
        "base_currency": conversion.base_currency,
    }


def document_page(document: Document, user) -> dict:
    """Everything the document page shows besides the fields and lines."""
    resource = KINDS[document.kind].resource
    is_invoice = document.kind == "invoice"
    rejection = approvals.latest_rejection(document) if document.state == "draft" else None
    dispatches = (
        db.session.query(EmailDispatch)
        .filter(EmailDispatch.document_id == document.id)
        .order_by(EmailDispatch.id)
        .all()
    )
    offered = actions.available(user, document)
    page = {
        "doc": document,
        "kind_label": lifecycle.KIND_LABELS[document.kind],
        "state": state_badge(lifecycle.display_state(document)),
        "total": _money(document.total, document.currency),
        "subtotal": _money(document.subtotal, document.currency),
        "tax": _money(document.tax, document.currency),
        "rates": _totals(document),
        # Another currency than the issuer's: the rate and the base-currency total.
        "conversion": _conversion(document),
        "is_invoice": is_invoice,
        "actions": [(a, actions.ACTION_LABELS[a]) for a in offered if a not in actions.GUARDED],
        # Void, write-off, dispute: set apart, each behind a reason and a confirmation.
        "guarded": [
            (a, actions.ACTION_LABELS[a], actions.GUARDED[a])
            for a in offered
            if a in actions.GUARDED
        ],
        "rejection": rejection,
        "approvals": _approvals(document),
        "source": {"number": document.source.number, "url": document_url(document.source)}
        if document.source
        else None,
        "deal_url": url_for("DealView.show", pk=document.deal_id) if document.deal_id else None,
        "related": _related(document),
        "audit": trail_of(document),
        "may_edit": document.state == "draft" and user_may(user, "can_write", resource),
        "may_send": document.state in SENDABLE and user_may(user, "can_send_email", resource),
        "dispatches": [_dispatch_row(d) for d in dispatches],
        "editor_url": url_for(f"{VIEW_OF_KIND[document.kind]}.editor", pk=document.id),
        "payments": [],
        "provider_links": provider_links(document, user),
    }
    if is_invoice:
        _load_payments(document)
        paid, credited, balance = payments.figures(document)
        page["paid"] = _money(paid, document.currency)
        page["credited"] = _money(credited, document.currency)
        page["balance"] = _money(balance, document.currency)
        page["payments"] = [
            {
                "paid_on": p.paid_on,
                "amount": _money(p.amount, document.currency),
                "method": PAYMENT_METHOD_LABELS.get(p.method, p.method),
                "reference": p.reference or "",
                "recorded_by": _("Reported by %(connection)s", connection=p.connection.name)
                if p.connection is not None
                else (p.recorded_by.username if p.recorded_by else ""),
            }
            for p in document.payments
        ]
        page["may_pay"] = document.state in lifecycle.OPEN_STATES and actions.may(
            user, document, "record_payment"
        )
        page["methods"] = [(m, PAYMENT_METHOD_LABELS[m]) for m in PAYMENT_METHODS]
        page["today"] = lifecycle.today_tokyo().isoformat()
    page["providers"] = _providers(document, user)
    page["send_preview"] = _send_preview(document, user, page["may_send"])
    return page


def _providers(document: Document, user) -> dict:
    """The "At providers" panel: the document's links, and where it may be issued now."""
    from app.security.rights import CREATE_AT_PROVIDER
    from app.services.sync.issuing import ISSUABLE_STATES
    from app.views.deal_documents import document_links

    shown = document_links(document)
    may_issue = (
        document.kind == "invoice"
        and document.state in ISSUABLE_STATES
        and user_may(user, *CREATE_AT_PROVIDER)
    )
    shown["issuable"] = shown["issuable"] if may_issue else []
    return shown
