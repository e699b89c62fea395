"""A hand-written invoice takes the default due date when it leaves draft, and lines
added on the screen or through the API are numbered from 1 (one past the largest)."""

from __future__ import annotations

import datetime as dt

from app.models.documents import Document
from app.services.documents import approvals, issuing
from app.services.documents.issuing import DEFAULT_DUE_DAYS
from tests.documents.conftest import line
from tests.documents.test_api_documents import api  # noqa: F401 (fixture)
from tests.documents.test_screens import as_user, post  # noqa: F401 (fixture)


def test_an_invoice_without_a_due_date_gets_the_default_on_submit(
    sample, entity, users, db_session
):
    invoice = issuing.new_document(
        "invoice", sample["sakura"], lines=[line()], issue_date=dt.date(2026, 12, 2)
    )
    invoice.due_date = None  # as the add screen leaves it when the field is blank
    db_session.commit()
    approvals.submit(invoice, users["accounting"])
    db_session.expire_all()
    submitted = db_session.get(Document, invoice.id)
    assert submitted.state == "approved"
    assert submitted.due_date == dt.date(2026, 12, 2) + dt.timedelta(days=DEFAULT_DUE_DAYS)


def test_a_given_due_date_is_kept_and_a_quote_gets_none(sample, entity, users, db_session):
    given = dt.date(2027, 1, 15)
    invoice = issuing.new_document("invoice", sample["sakura"], lines=[line()], due_date=given)
    approvals.submit(invoice, users["accounting"])
    assert invoice.due_date == given
    quote = issuing.new_document("quote", sample["sakura"], lines=[line()])
    quote.due_date = None
    approvals.submit(quote, users["accounting"])
    assert quote.due_date is None


def test_lines_added_on_the_screen_are_numbered_from_one(as_user, sample, entity, db_session):  # noqa: F811
    invoice = issuing.new_document("invoice", sample["sakura"])
    client = as_user("accounting")
    add = f"/invoicelines/add?_flt_0_document={invoice.id}"
    for name in ("一行目", "二行目"):
        form = {"name": name, "unit_price": "1,000", "quantity": "1", "discount_percent": "0"}
        assert post(client, add, form, page=add).status_code == 302
    db_session.expire_all()
    lines = db_session.get(Document, invoice.id).lines
    assert [(row.position, row.name) for row in lines] == [(1, "一行目"), (2, "二行目")]


def test_a_line_added_by_the_api_goes_last(api, sample, entity, db_session):  # noqa: F811
    invoice = issuing.new_document("invoice", sample["sakura"], lines=[line(), line()])
    made = api(
        "accounting",
        "POST",
        "/api/v1/invoice_line/",
        {"document": invoice.id, "name": "三行目", "unit_price": 1, "quantity": 1},
    )
    assert made.status_code == 201, made.get_json()
    db_session.expire_all()
    positions = [row.position for row in db_session.get(Document, invoice.id).lines]
    assert positions == [1, 2, 3]
