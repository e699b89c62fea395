"""Versioned templates: an edit is pending until someone else approves it; every PDF
records the version that made it; rejected or broken versions are never used."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from pypdf import PdfReader

from app.models.documents import DOCUMENT_KINDS
from app.models.publishing import DocumentTemplate
from app.services.documents import approvals, issuing, templates
from app.services.documents.pdf import render_document
from app.services.errors import Forbidden, InvalidInput

MARK = "<h1>{{ k.title }}</h1>"


@pytest.fixture(autouse=True)
def english(db_session):
    """Messages in English, so the tests can read them (the default locale is Japanese)."""
    with force_locale("en"):
        yield


def pdf_text(content: bytes) -> str:
    return "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(content)).pages)


def forget_new_versions(session) -> None:
    """Template versions outlive tests (the wipe keeps them): drop the ones a test added."""
    session.rollback()
    for table in ("email_dispatch", "document_pdf"):
        session.execute(sa.text(f"DELETE FROM {table}"))
    session.execute(sa.text("DELETE FROM document_template WHERE version > 1"))
    session.commit()


@pytest.fixture()
def fresh_templates(db_session):
    forget_new_versions(db_session)
    yield
    forget_new_versions(db_session)


@pytest.fixture()
def invoice(db_session, sample, entity, users, fresh_templates):
    doc = issuing.new_document(
        "invoice",
        sample["sakura"],
        user=users["accounting"],
        lines=[{"name": "導入支援", "unit_price": Decimal(100000), "quantity": Decimal(1)}],
    )
    approvals.submit(doc, users["accounting"])
    return doc


def edited_pdf_body(marker: str) -> str:
    body = templates.active("pdf", "invoice", "ja").body
    assert MARK in body
    return body.replace(MARK, f"{MARK}<p>{marker}</p>")


def test_defaults_are_seeded_once_for_every_kind_and_language(db_session):
    assert templates.ensure_default_templates() == 0  # bootstrap already did it
    for purpose in ("pdf", "email"):
        for kind in DOCUMENT_KINDS:
            for language in ("ja", "en"):
                template = templates.active(purpose, kind, language)
                assert template is not None and template.state == "approved"
                assert (purpose == "email") == bool(template.subject)
    # The stored layout is self-contained: the shared style is inlined, nothing included.
    body = templates.active("pdf", "credit_note", "ja").body
    assert "include" not in body and "@font-face" in body and "適格返還請求書" in body


def test_an_edit_is_pending_and_unused_until_someone_else_approves_it(db_session, invoice, users):
    v1 = templates.active("pdf", "invoice", "ja")
    draft = templates.propose(
        "pdf",
        "invoice",
        "ja",
        edited_pdf_body("NEW-LAYOUT"),
        user=users["accounting"],
        change_note="bank details above the items",
    )
    assert (draft.state, draft.version) == ("pending", v1.version + 1)
    assert templates.active("pdf", "invoice", "ja").id == v1.id

    before = render_document(invoice, users["accounting"])
    assert before.template_id == v1.id and "NEW-LAYOUT" not in pdf_text(before.content)

    with pytest.raises(Forbidden):  # accounting may propose but not approve
        templates.decide(draft, users["accounting"], approve=True)
    templates.decide(draft, users["approver"], approve=True, comment="ok")
    assert templates.active("pdf", "invoice", "ja").id == draft.id
    assert draft.decided_by.username == "approver" and draft.decided_at is not None

    after = render_document(invoice, users["accounting"])
    assert after.id != before.id and after.template_id == draft.id
    text = pdf_text(after.content)
    assert "NEW-LAYOUT" in text and f"v{draft.version}" not in text  # not for the customer
    keywords = PdfReader(io.BytesIO(after.content)).metadata["/Keywords"]
    assert f"v{draft.version}" in keywords  # the file's properties name the version


def test_nobody_approves_their_own_version(db_session, users, fresh_templates):
    mine = templates.propose("pdf", "quote", "en", edited_pdf_body("MINE"), user=users["admin"])
    with pytest.raises(Forbidden, match="own"):
        templates.decide(mine, users["admin"], approve=True)
    assert mine.state == "pending"


def test_rights_to_propose_and_to_decide(db_session, users, fresh_templates):
    with pytest.raises(Forbidden):
        templates.propose("pdf", "invoice", "ja", edited_pdf_body("X"), user=users["sales"])
    with pytest.raises(Forbidden):
        templates.propose("pdf", "invoice", "ja", edited_pdf_body("X"), user=users["approver"])
    draft = templates.propose("pdf", "invoice", "ja", edited_pdf_body("X"), user=users["admin"])
    for who in ("sales", "readonly", "accounting"):
        with pytest.raises(Forbidden):
            templates.decide(draft, users[who], approve=False, comment="no")


def test_a_rejected_version_is_never_used(db_session, invoice, users):
    v1 = templates.active("pdf", "invoice", "ja")
    bad = templates.propose(
        "pdf", "invoice", "ja", edited_pdf_body("REJECTED"), user=users["accounting"]
    )
    with pytest.raises(InvalidInput, match="why"):
        templates.decide(bad, users["approver"], approve=False, comment="  ")
    templates.decide(bad, users["approver"], approve=False, comment="logo too small")
    assert bad.state == "rejected" and bad.decision_comment == "logo too small"
    with pytest.raises(InvalidInput):  # decided once, for good
        templates.decide(bad, users["admin"], approve=True)
    assert templates.active("pdf", "invoice", "ja").id == v1.id
    pdf = render_document(invoice, users["accounting"])
    assert pdf.template_id == v1.id and "REJECTED" not in pdf_text(pdf.content)


def test_an_older_pending_version_cannot_overtake_a_newer_approved_one(
    db_session, users, fresh_templates
):
    older = templates.propose(
        "pdf", "invoice", "en", edited_pdf_body("A"), user=users["accounting"]
    )
    newer = templates.propose(
        "pdf", "invoice", "en", edited_pdf_body("B"), user=users["accounting"]
    )
    templates.decide(newer, users["approver"], approve=True)
    with pytest.raises(InvalidInput, match="never be used"):
        templates.decide(older, users["approver"], approve=True)
    assert templates.active("pdf", "invoice", "en").id == newer.id


@pytest.mark.parametrize(
    ("purpose", "body", "subject", "words"),
    [
        ("pdf", "<h1>{% if %}</h1>", None, "does not compile"),
        ("pdf", "<h1>{{ d.no_such_field }}</h1>", None, "no_such_field"),
        ("pdf", "<h1>{{ d.__class__.__mro__ }}</h1>", None, "refused"),  # the sandbox
        ("pdf", "   ", None, "empty"),
        ("email", "Dear {{ recipient_name }}", "", "subject"),
        ("email", "Dear {{ recipent_name }}", "Invoice {{ number }}", "recipent_name"),
        ("email", "{{ number }}", "{% for %}", "refused"),
    ],
)
def test_broken_versions_are_refused_with_a_reason(
    db_session, users, fresh_templates, purpose, body, subject, words
):
    count = db_session.query(DocumentTemplate).count()
    with pytest.raises(InvalidInput, match=words):
        templates.propose(purpose, "invoice", "ja", body, subject=subject, user=users["admin"])
    assert db_session.query(DocumentTemplate).count() == count


def test_email_templates_fill_in_and_keep_the_subject_on_one_line(
    db_session, users, fresh_templates
):
    # A subject with a line break is refused when proposed (a one-line text) …
    with pytest.raises(InvalidInput, match="one line"):
        templates.propose(
            "email",
            "invoice",
            "en",
            "Total {{ total }}",
            subject="Invoice\n{{ number }}\r\nBcc: x@y",
            user=users["accounting"],
        )
    db_session.rollback()
    draft = templates.propose(
        "email",
        "invoice",
        "en",
        "Total {{ total }}",
        subject="Invoice {{ number }}",
        user=users["accounting"],
    )
    # … and one filled in with a value that has one is still kept on one line.
    context = {**templates.SAMPLE_EMAIL_CONTEXT, "number": "INV-000042\r\nBcc: x@y"}
    subject, body = templates.render_email(draft, context)
    assert subject == "Invoice INV-000042 Bcc: x@y" and "\n" not in subject
    assert body == "Total ￥186,562"
