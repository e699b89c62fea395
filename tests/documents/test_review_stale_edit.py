"""Review: the edit lock reads the document's state as committed now, not as this
session loaded it. A line edited in a request that loaded the document while it was a
draft must not land after another request submitted (and so approved) it."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.documents import Document, DocumentLine
from app.services.documents import approvals, issuing
from app.services.errors import InvalidInput
from tests.documents.conftest import line


def _in_other_session(app, work) -> None:
    """Run ``work()`` to its commit in another thread: its own app context and session."""
    failure: list[BaseException] = []

    def run():
        with app.app_context():
            try:
                work()
            except BaseException as exc:  # reported to the test below
                failure.append(exc)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert not failure, failure


def test_a_line_edit_loaded_as_draft_cannot_land_on_a_document_submitted_meanwhile(
    app, db_session, sample, entity, users
):
    quote = issuing.new_document("quote", sample["sakura"], lines=[line(price="100000")])
    quote_id, line_id, sales_id = quote.id, quote.lines[0].id, users["sales"].id
    db_session.expire_all()
    # This request loads the draft and its line (as a line PUT would) …
    edited = db_session.get(DocumentLine, line_id)
    assert edited.document.state == "draft"

    def submit():
        user_model = app.appbuilder.sm.user_model
        approvals.submit(db.session.get(Document, quote_id), db.session.get(user_model, sales_id))

    # … another request submits it meanwhile: no rule applies, so it is approved at once.
    _in_other_session(app, submit)
    edited.unit_price = Decimal(60_000_000)
    with pytest.raises(InvalidInput):
        db_session.commit()
    db_session.rollback()
    db_session.expire_all()
    approved = db_session.get(Document, quote_id)
    assert approved.state == "approved"
    assert approved.total == Decimal(110000)
    assert db_session.get(DocumentLine, line_id).unit_price == Decimal(100000)
