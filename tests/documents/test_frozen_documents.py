"""A sent document stays as it was sent: its PDF is the very bytes that were sent, and
its page shows the same tax, whatever later happens to the issuer; new documents take
the new details."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from app.models.documents import Document, LegalEntity
from app.services.documents import approvals, issuing, sending
from app.services.documents.pdf import render_document
from tests.conftest import login

# ¥1,234 at 8 %: tax 98.72 — ¥98 rounded down, ¥99 rounded up.
LINE = {
    "name": "お弁当",
    "unit_price": Decimal(1234),
    "quantity": Decimal(1),
    "tax_rate": "reduced_8",
}
NEW_T = "T9010401123456"


def pdf_text(content: bytes) -> str:
    return "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(content)).pages)


def _invoice(sample, users):
    document = issuing.new_document(
        "invoice",
        sample["sakura"],
        user=users["accounting"],
        lines=[dict(LINE)],
        recipient_email="keiri@example.com",
    )
    approvals.submit(document, users["accounting"])
    return document


@pytest.fixture()
def sent_invoice(db_session, sample, entity, users, mail, run_jobs):
    entity.bank_account = "みずほ銀行 丸の内支店 普通 1234567"
    db_session.commit()
    invoice = _invoice(sample, users)
    sending.request_send(invoice, users["accounting"])
    run_jobs()
    db_session.expire_all()
    invoice = db_session.get(Document, invoice.id)
    assert invoice.state == "sent" and invoice.tax == Decimal(98)
    return invoice


def _change_the_issuer(db_session, entity_id):
    entity = db_session.get(LegalEntity, entity_id)
    entity.tax_rounding = "up"
    entity.name = "株式会社新社名"
    entity.registration_number = NEW_T
    entity.address = "大阪府大阪市北区1-1"
    entity.bank_account = "新銀行 本店 普通 7654321"
    db_session.commit()


def test_a_sent_pdf_is_served_as_sent_after_the_issuer_changes(
    app, db_session, sample, entity, users, sent_invoice
):
    before = render_document(sent_invoice, users["accounting"])
    sent_bytes = before.content
    text = pdf_text(sent_bytes)
    assert "株式会社レンケイ" in text and "98" in text
    _change_the_issuer(db_session, entity.id)
    db_session.expire_all()
    invoice = db_session.get(Document, sent_invoice.id)
    again = render_document(invoice, users["accounting"])
    assert again.content == sent_bytes
    client = app.test_client()
    login(client, "accounting")
    response = client.get(f"/invoices/show/{invoice.id}?_l_=en")
    page = response.get_data(as_text=True)
    amounts = set(re.findall(r"[￥¥]\s*([\d,]+)", page))
    assert "98" in amounts and "99" not in amounts, amounts
    download = client.get(f"/invoices/pdf/{invoice.id}")
    assert download.status_code == 200 and download.get_data() == sent_bytes
    # A new invoice takes the new name, T-number, bank account and rounding.
    fresh = _invoice(sample, users)
    assert fresh.tax == Decimal(99)
    new_text = pdf_text(render_document(fresh, users["accounting"]).content)
    assert "株式会社新社名" in new_text and NEW_T in new_text and "7654321" in new_text
    assert "株式会社新社名" not in pdf_text(again.content)


def test_an_approved_document_keeps_its_issuer_and_rounding(db_session, sample, entity, users):
    invoice = _invoice(sample, users)
    assert invoice.state == "approved" and invoice.tax_rounding == "down"
    _change_the_issuer(db_session, entity.id)
    db_session.expire_all()
    invoice = db_session.get(Document, invoice.id)
    text = pdf_text(render_document(invoice, users["accounting"]).content)
    assert "株式会社レンケイ" in text and "株式会社新社名" not in text
    assert "¥1,332" in text or "￥1,332" in text  # 1,234 + 98, not + 99
