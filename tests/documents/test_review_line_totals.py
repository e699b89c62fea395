"""Review: a document's totals always add up its stored lines.

Each request recomputed the totals from the lines it had loaded: two requests adding a
line to one draft at once each stored a total without the other's line, so the last
one's total left a line out (and a credit note's ceiling was checked on that total)."""

from __future__ import annotations

from decimal import Decimal

from app.extensions import db
from app.models.documents import Document, DocumentLine
from app.services.documents import issuing
from tests.documents.conftest import line
from tests.documents.test_review_stale_edit import _in_other_session


def test_two_lines_added_at_once_are_both_in_the_total(app, db_session, sample, entity):
    invoice = issuing.new_document("invoice", sample["sakura"], lines=[line(price="1000")])
    invoice_id = invoice.id
    db_session.expire_all()
    mine = db_session.get(Document, invoice_id)
    assert len(mine.lines) == 1  # this request has loaded the draft and its lines

    def add_other():
        other = db.session.get(Document, invoice_id)
        db.session.add(DocumentLine(document=other, name="他方", unit_price=Decimal(20000)))
        db.session.commit()

    _in_other_session(app, add_other)
    db_session.add(DocumentLine(document=mine, name="当方", unit_price=Decimal(300000)))
    db_session.commit()
    db_session.expire_all()
    stored = db_session.get(Document, invoice_id)
    assert len(stored.lines) == 3
    net = sum((Decimal(x.amount) for x in stored.lines), Decimal(0))
    assert net == Decimal(321000)
    assert (stored.subtotal, stored.total) == (Decimal(321000), Decimal(353100))
