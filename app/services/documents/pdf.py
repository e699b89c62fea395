"""A document's PDF: its data, rendered with the approved template version, kept and zipped.

Every PDF is stored with the template version that made it (DocumentPdf). Asking again
for an unchanged document with an unchanged template returns the stored PDF, so
downloads do not pile up rows; "changed" is read from the audit trail, which sees every
change of the document and its lines, and from the issuing entity's last update.

Once a document has been sent, its PDF is the one that was sent, byte for byte: the
stored PDF of its sent email (or the last one stored), never rendered again — later
changes of the issuer or the template make new documents look different, never old
ones. What a document prints about its issuer comes from ``issuer.issuer_of`` (frozen
when it left draft).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import tempfile
import threading
import zipfile
from decimal import Decimal
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import func

from app.extensions import db
from app.models.audit import AuditEntry
from app.models.documents import Document
from app.models.publishing import DocumentPdf, EmailDispatch
from app.pdf.data import InvoicePdfData, PdfLine
from app.pdf.render import render_invoice_pdf
from app.security.rights import user_may
from app.services.actor import acting_as
from app.services.documents import templates
from app.services.documents.actions import RESOURCE
from app.services.documents.issuer import issuer_of
from app.services.errors import Forbidden, InvalidInput
from app.services.exchange_rates import conversion_of, conversion_text
from app.services.tax import REDUCED_RATE_CODES, TaxLine, compute_totals

# The trail's rows that may change what the PDF shows (not transitions, sends, PDFs …).
_CONTENT_ACTIONS = ("create", "update", "delete")
# The issuer's copy taken when a document leaves draft prints what was printed before.
_NOT_PRINTED_FIELDS = ("state", "sent_at", "tax_rounding", "issuer_snapshot")
_LOGO_TYPES = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif"}
_logo_lock = threading.Lock()
_logo_dir: Path | None = None


def _logo_file(content: bytes, mimetype: str | None) -> Path | None:
    """The logo as a file the renderer may read, named by its hash (written once)."""
    global _logo_dir
    suffix = _LOGO_TYPES.get((mimetype or "image/png").lower())
    if suffix is None:
        return None  # an SVG or unknown type: xhtml2pdf cannot draw it safely
    with _logo_lock:
        if _logo_dir is None:
            # A private folder (0700) of this process: the render policy lets it be read.
            _logo_dir = Path(tempfile.mkdtemp(prefix="renkei-logos-"))
        path = _logo_dir / f"{hashlib.sha256(content).hexdigest()}{suffix}"
        if not path.exists():
            path.write_bytes(content)
    return path


def _issuer_address(entity) -> str:
    postal = f"〒{entity.postal_code} " if entity.postal_code else ""
    return f"{postal}{entity.address or ''}".strip()


def document_pdf_data(document: Document) -> InvoicePdfData:
    """What the PDF of ``document`` shows, from the document, its lines and its issuer."""
    if not document.lines:
        raise InvalidInput(_("The document has no lines to print."), field="lines")
    entity = issuer_of(document)
    lines = tuple(
        PdfLine(
            name=line.name,
            quantity=Decimal(line.quantity),
            unit=line.unit or "",
            unit_price=Decimal(line.unit_price),
            amount=Decimal(line.amount),
            rate_code=line.tax_rate,
            reduced=line.tax_rate in REDUCED_RATE_CODES,
            discount_percent=Decimal(line.discount_percent or 0),
        )
        for line in document.lines
    )
    totals = compute_totals(
        [TaxLine(x.amount, x.rate_code) for x in lines],
        document.currency,
        entity.tax_rounding,
        allow_negative=document.kind == "credit_note",
    )
    english = document.language == "en"
    notes = [document.terms, document.notes]
    source = document.source if document.kind == "credit_note" else None
    return InvoicePdfData(
        issuer_name=(entity.name_en if english and entity.name_en else entity.name),
        registration_number=entity.registration_number or "",
        recipient_name=document.recipient_name,
        document_number=document.number or "",
        issue_date=document.issue_date,
        transaction_date=document.transaction_date or document.issue_date,
        currency=document.currency,
        lines=lines,
        totals=totals,
        due_date=document.due_date if document.kind == "invoice" else None,
        brand_colour=entity.brand_colour or "#1f4e79",
        logo_path=_logo_file(entity.logo, entity.logo_mimetype) if entity.logo else None,
        issuer_address=_issuer_address(entity),
        notes="\n".join(n.strip() for n in notes if n and n.strip()),
        kind=document.kind,
        reference_number=(source.number or "") if source else "",
        reference_date=(source.transaction_date or source.issue_date) if source else None,
        subject=document_subject(document),
        issuer_phone=entity.phone or "",
        issuer_email=entity.email or "",
        bank_account=(entity.bank_account or "") if document.kind == "invoice" else "",
        exchange_note=conversion_text(conversion_of(document), document.language),
    )


def document_subject(document: Document) -> str:
    """件名: the deal's title when the document has a deal, else its first line's name."""
    if document.deal is not None and document.deal.title:
        return document.deal.title
    return document.lines[0].name if document.lines else ""


def _last_content_change(document: Document):
    """When what the PDF shows last changed: the trail's last printed change, the issuer's."""
    query = db.session.query(func.max(AuditEntry.at)).filter(
        AuditEntry.document_id == document.id,
        AuditEntry.action.in_(_CONTENT_ACTIONS),
        (AuditEntry.field.is_(None)) | (AuditEntry.field.notin_(_NOT_PRINTED_FIELDS)),
    )
    changed = [t for t in (query.scalar(), document.legal_entity.updated_at) if t is not None]
    return max(changed) if changed else None


def sent_pdf(document: Document) -> DocumentPdf | None:
    """The PDF a sent document was sent with (its sent email's), else the last stored."""
    if document.sent_at is None:
        return None
    dispatch = (
        db.session.query(EmailDispatch)
        .filter(
            EmailDispatch.document_id == document.id,
            EmailDispatch.state == "sent",
            EmailDispatch.pdf_id.isnot(None),
        )
        .order_by(EmailDispatch.id.desc())
        .first()
    )
    if dispatch is not None:
        return dispatch.pdf
    return (
        db.session.query(DocumentPdf)
        .filter(DocumentPdf.document_id == document.id)
        .order_by(DocumentPdf.id.desc())
        .first()
    )


def reusable_pdf(document: Document, template) -> DocumentPdf | None:
    """The stored PDF made by ``template`` after the document's last printed change."""
    last = (
        db.session.query(DocumentPdf)
        .filter(DocumentPdf.document_id == document.id)
        .order_by(DocumentPdf.id.desc())
        .first()
    )
    if last is None or last.template_id != template.id:
        return None
    changed = _last_content_change(document)
    return last if changed is None or last.created_at >= changed else None


def _require_read(document: Document, user) -> None:
    if not user_may(user, "can_read", RESOURCE[document.kind]):
        raise Forbidden(
            _(
                "You may not see this document (it needs can_read on %(r)s).",
                r=RESOURCE[document.kind],
            )
        )


def render_document(document: Document, user) -> DocumentPdf:
    """The document's PDF from the approved template version: stored, or reused if unchanged."""
    _require_read(document, user)
    return stored_pdf(document, user)


def stored_pdf(document: Document, user=None) -> DocumentPdf:
    """The document's PDF, stored or reused, without a rights check: for work the system
    does on its own (a payment reminder carries the invoice); ``user`` stamps a new one."""
    if document.number is None:
        raise InvalidInput(_("Save the document before printing it."), field="number")
    sent = sent_pdf(document)
    if sent is not None:  # what was sent is kept as it was sent
        return sent
    template = templates.require_active(
        "pdf", document.kind, document.language, document.legal_entity
    )
    existing = reusable_pdf(document, template)
    if existing is not None:
        return existing
    data = document_pdf_data(document)
    if data.exchange_note and "exchange_note" not in template.body:
        # A stored layout older than the rate line still prints it, under the notes.
        notes = "\n".join(n for n in (data.notes, data.exchange_note) if n)
        data = dataclasses.replace(data, notes=notes)
    content = render_invoice_pdf(
        data,
        f"{document.kind}/{document.language}",
        str(template.version),
        source=template.body,
        language=document.language,
    )
    pdf = DocumentPdf(
        document=document,
        template=template,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        content=content,
        created_by=user,
    )
    with acting_as(user):
        db.session.add(pdf)
        db.session.commit()
    return pdf


def pdf_filename(document: Document) -> str:
    """The download name of a document's PDF: its number (safe in a zip and a header)."""
    number = document.number or f"document-{document.id}"
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in number) + ".pdf"


def zip_pdfs(documents, user) -> bytes:
    """A zip of the PDFs of ``documents``, one per document, named by number."""
    documents = list(documents)
    if not documents:
        raise InvalidInput(_("Choose at least one document."), field="documents")
    buffer = io.BytesIO()
    names: set[str] = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for document in documents:
            pdf = render_document(document, user)
            name = pdf_filename(document)
            if name in names:  # numbers are unique per kind only
                name = f"{document.kind}-{name}"
            names.add(name)
            archive.writestr(name, pdf.content)
    return buffer.getvalue()
