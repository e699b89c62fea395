"""Payments against invoices: several, partial; the balance is derived, never stored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models.documents import Document, Payment
from app.services.actor import acting_as
from app.services.documents import lifecycle
from app.services.documents.transaction import locked
from app.services.errors import InvalidInput
from app.services.money import check_money, format_money, round_money

# Called with (invoice, payment, user) after a payment recorded in Renkei is committed: the
# sync services register pushing the paid status to providers that take it
# (app.services.sync.settlement.wire).
AFTER_PAYMENT: list = []
PAYMENT_METHODS = ("bank_transfer", "card", "cash", "offset", "other")
# Credit notes count against their invoice once they are issued (sent).
_ISSUED = ("sent", "partially_paid", "paid")


def credited(invoice: Document) -> Decimal:
    """The total of the issued credit notes against ``invoice``."""
    value = (
        db.session.query(func.coalesce(func.sum(Document.total), 0))
        .filter(Document.source_id == invoice.id, Document.kind == "credit_note")
        .filter(Document.state.in_(_ISSUED))
        .scalar()
    )
    return Decimal(value)


def paid(invoice: Document) -> Decimal:
    """The total of the payments recorded against ``invoice``."""
    return sum((Decimal(p.amount) for p in invoice.payments), Decimal(0))


def balance(invoice: Document) -> Decimal:
    """What is still owed: total − payments − issued credit notes."""
    return figures(invoice)[2]


def figures(invoice: Document) -> tuple[Decimal, Decimal, Decimal]:
    """(paid, credited, balance) of ``invoice``, each sum read once (the invoice's page)."""
    paid_amount, credited_amount = paid(invoice), credited(invoice)
    owed = Decimal(invoice.total) - paid_amount - credited_amount
    return paid_amount, credited_amount, round_money(owed, invoice.currency)


def balances(session, invoices) -> dict[int, Decimal]:
    """``balance`` of each of ``invoices`` (id → amount) from ONE grouped query.

    For lists: the same figure as ``balance(invoice)`` without loading each invoice's
    payments and summing its credit notes row by row.
    """
    ids = [d.id for d in invoices if d.kind == "invoice" and d.id is not None]
    if not ids:
        return {}
    paid_sums = (
        select(Payment.document_id.label("id"), func.sum(Payment.amount).label("amount"))
        .where(Payment.document_id.in_(ids))
        .group_by(Payment.document_id)
        .subquery()
    )
    credit = aliased(Document)
    credit_sums = (
        select(credit.source_id.label("id"), func.sum(credit.total).label("amount"))
        .where(
            credit.source_id.in_(ids),
            credit.kind == "credit_note",
            credit.state.in_(_ISSUED),
        )
        .group_by(credit.source_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Document.id, Document.total, Document.currency, paid_sums.c.amount, credit_sums.c.amount
        )
        .outerjoin(paid_sums, paid_sums.c.id == Document.id)
        .outerjoin(credit_sums, credit_sums.c.id == Document.id)
        .where(Document.id.in_(ids))
    ).all()
    return {
        id_: round_money(
            Decimal(total) - Decimal(paid_amount or 0) - Decimal(credit_amount or 0), currency
        )
        for id_, total, currency, paid_amount, credit_amount in rows
    }


def record_payment(
    invoice: Document,
    amount,
    paid_on: dt.date | None = None,
    *,
    user=None,
    method: str = "bank_transfer",
    reference: str | None = None,
    note: str | None = None,
) -> Payment:
    """Record a payment; the invoice becomes partially paid or paid by its balance.

    The invoice row is locked first, so concurrent payments are checked one after the
    other against the balance the previous one left.
    """
    with locked(invoice):
        if invoice.kind != "invoice":
            raise InvalidInput(_("Payments are recorded against invoices."), field="document")
        if invoice.state not in lifecycle.OPEN_STATES:
            raise InvalidInput(
                _(
                    "A payment can be recorded only on a sent, partially paid or disputed "
                    "invoice; this one is “%(state)s”.",
                    state=lifecycle.STATE_LABELS[invoice.state],
                ),
                field="state",
            )
        amount = check_money(amount, invoice.currency, "amount", _("The amount"))
        if amount <= 0:
            raise InvalidInput(_("A payment must be greater than zero."), field="amount")
        owed = balance(invoice)
        if amount > owed:
            raise InvalidInput(
                _(
                    "The payment (%(amount)s) is more than the balance (%(owed)s).",
                    amount=format_money(amount, invoice.currency),
                    owed=format_money(owed, invoice.currency),
                ),
                field="amount",
            )
        if method not in PAYMENT_METHODS:
            raise InvalidInput(_("Unknown payment method %(m)s.", m=method), field="method")
        with acting_as(user):
            payment = Payment(
                document=invoice,
                amount=amount,
                paid_on=paid_on or lifecycle.today_tokyo(),
                method=method,
                reference=reference,
                note=note,
                recorded_by=user,
            )
            db.session.add(payment)
            settle(invoice, owed - amount)
            db.session.commit()
    for then in AFTER_PAYMENT:
        then(invoice, payment, user)
    return payment


def settle(invoice: Document, remaining: Decimal | None = None) -> None:
    """Move an open invoice to paid or partially paid according to what it still owes."""
    if invoice.state not in lifecycle.OPEN_STATES:
        return
    remaining = balance(invoice) if remaining is None else remaining
    if remaining <= 0:
        target = "paid"
    elif remaining < Decimal(invoice.total) and invoice.state != "disputed":
        target = "partially_paid"
    else:
        return
    if target != invoice.state:
        lifecycle.move(invoice, target)
