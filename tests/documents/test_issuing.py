"""Making documents from deals, converting quotes, crediting invoices."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.models.crm import Deal
from app.services.documents import approvals, issuing, lifecycle
from app.services.errors import InvalidInput
from tests.documents.conftest import line


def test_from_a_deal_with_lines(db_session, sample, entity, users):
    deal = sample["with_lines"]
    doc = issuing.from_deal(deal, "invoice", user=users["accounting"])
    assert [ln.name for ln in doc.lines] == [ln.name for ln in deal.lines]
    assert doc.subtotal == deal.amount
    assert doc.lines[1].tax_rate == "reduced_8" and doc.lines[1].discount_percent == 10
    assert doc.deal == deal and doc.recipient_email == "hanako@example.com"
    assert doc.due_date is not None and doc.created_by == users["accounting"]


def test_from_a_deal_with_only_an_amount(db_session, sample, entity):
    doc = issuing.from_deal(sample["amount_only"], "quote")
    assert len(doc.lines) == 1 and doc.lines[0].unit_price == Decimal("12000.50")
    assert doc.currency == "USD" and doc.subtotal == Decimal("12000.50")


def test_a_deal_with_no_lines_and_no_amount_is_refused(db_session, sample, entity):
    deal = Deal(title="空", company=sample["acme"], currency="JPY", stage="lead")
    db_session.add(deal)
    db_session.commit()
    with pytest.raises(InvalidInput) as refused:
        issuing.from_deal(deal)
    assert refused.value.field == "amount"


def test_a_quote_converts_once_into_an_invoice(db_session, sample, entity, users):
    quote = issuing.new_document("quote", sample["sakura"], lines=[line(), line(rate="reduced_8")])
    with pytest.raises(InvalidInput):
        issuing.convert_quote(quote)  # a draft quote is not converted
    approvals.submit(quote, users["sales"])
    invoice = issuing.convert_quote(quote, user=users["accounting"])
    assert invoice.kind == "invoice" and invoice.state == "draft" and invoice.source == quote
    assert invoice.total == quote.total and len(invoice.lines) == 2
    with pytest.raises(InvalidInput):
        issuing.convert_quote(quote)


def test_a_credit_note_only_for_a_sent_invoice(db_session, sample, entity, users):
    invoice = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    with pytest.raises(InvalidInput):
        issuing.credit_note_for(invoice)
    approvals.submit(invoice, users["accounting"])
    lifecycle.move(invoice, "sent")
    db_session.commit()
    credit = issuing.credit_note_for(invoice)
    assert credit.kind == "credit_note" and credit.total == invoice.total
    assert credit.number.startswith("CN-")


def test_no_legal_entity_is_a_clear_message(db_session, sample):
    with pytest.raises(InvalidInput) as refused:
        issuing.new_document("invoice", sample["sakura"], lines=[line()])
    assert refused.value.field == "legal_entity"
