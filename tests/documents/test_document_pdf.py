"""Document PDFs: a real document's qualified-invoice items read back from the PDF, the
wording of each kind, the logo, reuse of an unchanged PDF, and the zip of several."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.models.publishing import DocumentPdf
from app.services.documents import approvals, issuing, lifecycle
from app.services.documents.pdf import document_pdf_data, render_document, zip_pdfs
from app.services.errors import Forbidden

SHOTS = Path("/tmp/pdfshots")
LINES = [
    {"name": "導入支援", "unit": "式", "unit_price": Decimal(300000), "quantity": Decimal(1)},
    {
        "name": "お弁当",
        "unit": "個",
        "unit_price": Decimal(1080),
        "quantity": Decimal(20),
        "discount_percent": Decimal(10),
        "tax_rate": "reduced_8",
    },
    {
        "name": "収入印紙代",
        "unit_price": Decimal(200),
        "quantity": Decimal(1),
        "tax_rate": "exempt",
    },
]


def pdf_text(content: bytes) -> str:
    return "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(content)).pages)


def make(kind, sample, users, approve=True, **fields):
    doc = issuing.new_document(
        kind, sample["sakura"], user=users["accounting"], lines=[dict(x) for x in LINES], **fields
    )
    if approve:
        approvals.submit(doc, users["accounting"])
    return doc


@pytest.fixture()
def invoice(db_session, sample, entity, users):
    return make("invoice", sample, users)


def test_the_six_qualified_invoice_items_are_printed(invoice, users):
    pdf = render_document(invoice, users["accounting"])
    text = pdf_text(pdf.content)
    assert "請求書" in text and invoice.number in text
    assert "株式会社レンケイ" in text and "T5835678256246" in text  # issuer and 登録番号
    assert "株式会社さくら商事御中" in text  # recipient
    day = invoice.transaction_date
    assert f"{day.year}年{day.month}月{day.day}日" in text  # no zero padding
    assert "件名導入支援" in text  # no deal: the first line names it
    assert "お支払期限" in text
    assert "お弁当※" in text and "導入支援※" not in text and "値引10%" in text
    assert "※は軽減税率対象" in text
    # 8 % on 19,440 = 1,555.2, rounded down once for the rate; 10 % on 300,000.
    assert "10%対象￥300,000￥30,000" in text
    assert "8%対象（軽減税率）※￥19,440￥1,555" in text
    assert "非課税￥200￥0" in text
    assert "合計（税込）￥351,195" in text
    assert invoice.total == Decimal(351195)  # the stored total and the printed one agree
    assert pdf.sha256 and pdf.size == len(pdf.content) and pdf.content.startswith(b"%PDF")


def test_english_document_uses_the_english_name_and_layout(db_session, sample, entity, users):
    doc = make("invoice", sample, users, language="en")
    text = pdf_text(render_document(doc, users["accounting"]).content)
    for needle in ("INVOICE", "RenkeiK.K.", "RegistrationNo.:T5835678256246", "Duedate"):
        assert needle in text, needle
    assert "8%items(reducedrate)※¥19,440¥1,555" in text and "Total(taxincl.)¥351,195" in text


def test_each_kind_has_its_title_and_only_invoices_a_due_date(db_session, sample, entity, users):
    quote = make("quote", sample, users, due_date=lifecycle.today_tokyo())
    note = make("delivery_note", sample, users)
    for doc, title in ((quote, "見積書"), (note, "納品書")):
        text = pdf_text(render_document(doc, users["accounting"]).content)
        assert f"{title}株式会社さくら商事御中" in text and "お支払期限" not in text, title
        assert "8%対象（軽減税率）※" in text


def test_a_credit_note_is_a_qualified_return_invoice_naming_the_invoice(db_session, invoice, users):
    lifecycle.move(invoice, "sent")
    db_session.commit()
    credit = issuing.credit_note_for(invoice, user=users["accounting"])
    approvals.submit(credit, users["accounting"])
    text = pdf_text(render_document(credit, users["accounting"]).content)
    assert "適格返還請求書株式会社さくら商事御中" in text
    assert f"対象請求書{invoice.number}" in text and "返還金額（税込）￥351,195" in text
    assert "8%対象（軽減税率）※￥19,440￥1,555" in text and "お支払期限" not in text


def test_an_unchanged_document_reuses_its_pdf_and_a_change_makes_a_new_one(
    db_session, sample, entity, users
):
    draft = make("invoice", sample, users, approve=False)
    first = render_document(draft, users["accounting"])
    assert render_document(draft, users["accounting"]).id == first.id
    approvals.submit(draft, users["accounting"])  # a state change does not change the print
    assert render_document(draft, users["accounting"]).id == first.id

    lifecycle.move(draft, "draft")
    draft.lines[0].name = "導入支援（改訂）"  # same total: only the trail sees the change
    db_session.commit()
    second = render_document(draft, users["accounting"])
    assert second.id != first.id and "導入支援（改訂）" in pdf_text(second.content)
    assert db_session.query(DocumentPdf).filter_by(document_id=draft.id).count() == 2


def test_the_logo_and_brand_colour_come_from_the_legal_entity(db_session, invoice, entity, users):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (240, 80), "#c0392b").save(buffer, format="PNG")
    entity.logo, entity.logo_mimetype, entity.brand_colour = (
        buffer.getvalue(),
        "image/png",
        "#c0392b",
    )
    db_session.commit()
    data = document_pdf_data(invoice)
    assert data.logo_path.read_bytes() == entity.logo and data.brand_colour == "#c0392b"
    pdf = render_document(invoice, users["accounting"])
    page = PdfReader(io.BytesIO(pdf.content)).pages[0]
    xobjects = page["/Resources"].get("/XObject", {})
    assert any(x.get_object()["/Subtype"] == "/Image" for x in xobjects.values())
    if shutil.which("pdftoppm"):  # a picture for a person to look at
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / "document-ja.pdf").write_bytes(pdf.content)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "70", "-singlefile", "document-ja.pdf", "document-ja"],
            cwd=SHOTS,
            check=True,
        )
        assert (SHOTS / "document-ja.png").stat().st_size > 5_000


def test_a_zip_holds_one_pdf_per_document_named_by_number(db_session, sample, entity, users):
    docs = [make(kind, sample, users) for kind in ("invoice", "invoice", "quote", "delivery_note")]
    archive = zipfile.ZipFile(io.BytesIO(zip_pdfs(docs, users["accounting"])))
    assert sorted(archive.namelist()) == sorted(f"{d.number}.pdf" for d in docs)
    for doc in docs:
        content = archive.read(f"{doc.number}.pdf")
        assert content.startswith(b"%PDF") and doc.number in pdf_text(content)


def test_no_pdf_without_the_right_to_read_the_document(db_session, invoice):
    with pytest.raises(Forbidden):
        render_document(invoice, None)
