"""Review: a line never crosses from one kind of document to another, whatever the door.

The API refuses it (DocumentLineApi.pre_update); the lines screen of a kind offered
every document of every kind on its edit form, so a salesperson (who may write quotes
only) could move a quote's line onto a draft invoice and so change an invoice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.models.documents import Document, DocumentLine
from app.services.documents import issuing
from app.services.errors import InvalidInput
from tests.conftest import csrf_token, login
from tests.documents.conftest import line


def test_the_quote_lines_screen_cannot_move_a_line_onto_an_invoice(
    app, db_session, sample, entity, users
):
    quote = issuing.new_document("quote", sample["sakura"], lines=[line(price="5000000")])
    invoice = issuing.new_document("invoice", sample["sakura"], lines=[line(price="100")])
    line_id, quote_id, invoice_id = quote.lines[0].id, quote.id, invoice.id
    client = app.test_client()
    login(client, "sales")
    response = client.post(
        f"/quotelines/edit/{line_id}",
        data={
            "document": str(invoice_id),
            "position": "0",
            "name": "導入支援",
            "unit_price": "5000000",
            "quantity": "1",
            "discount_percent": "0",
            "tax_rate": "standard_10",
            "csrf_token": csrf_token(client, f"/quotelines/edit/{line_id}"),
        },
    )
    assert response.status_code in (200, 302)
    db_session.expire_all()
    assert db_session.get(DocumentLine, line_id).document_id == quote_id
    assert db_session.get(Document, invoice_id).total == Decimal(110)


def test_no_door_moves_a_line_to_another_kind(db_session, sample, entity, users):
    """The flush rule itself: a service or job cannot do it either."""
    quote = issuing.new_document("quote", sample["sakura"], lines=[line(price="5000")])
    invoice = issuing.new_document("invoice", sample["sakura"], lines=[line(price="100")])
    moved = quote.lines[0]
    moved.document = invoice
    with pytest.raises(InvalidInput) as refused:
        db_session.commit()
    assert refused.value.field == "document"
    db_session.rollback()
    db_session.expire_all()
    assert db_session.get(Document, invoice.id).total == Decimal(110)
