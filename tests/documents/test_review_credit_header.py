"""Review: a credit note credits its invoice in the invoice's currency, for the invoice's
customer. Its header was editable like any draft's, and the ceiling compared bare
numbers: a ¥110,000 invoice could carry a $100,000 credit note, or credit another
company's invoice, and the balance then subtracted dollars from yen."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.models.documents import Document
from app.services.documents import payments
from tests.documents import test_integrity
from tests.documents.test_integrity import sent_invoice

api = test_integrity.api  # the fixture: call the API with a JWT as a given user


@pytest.mark.parametrize("field", ["currency", "company"])
def test_a_credit_note_keeps_its_invoices_currency_and_customer(
    api, db_session, sample, entity, users, field
):
    invoice = sent_invoice(sample, users, db_session)
    made = api("accounting", "POST", f"/api/v1/invoice/{invoice.id}/action/credit")
    note_id = made.get_json()["result"]["id"]
    body = {"currency": "USD"} if field == "currency" else {"company": sample["acme"].id}
    changed = api("accounting", "PUT", f"/api/v1/credit_note/{note_id}", body)
    assert changed.status_code == 422, changed.get_json()
    db_session.expire_all()
    note = db_session.get(Document, note_id)
    assert (note.currency, note.company_id) == ("JPY", invoice.company_id)
    assert payments.balance(db_session.get(Document, invoice.id)) == Decimal(110000)
