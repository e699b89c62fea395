"""A zip of many documents' PDFs made in the background (services/documents/pdf_bundles.py).

The documents are split into chunks, each rendered (or its stored PDF reused) by its own
job on any worker; each chunk records which stored PDF each document gets
(PdfBundleItem), and the job that ends the last chunk queues the one that zips them.
"""

from __future__ import annotations

from flask_appbuilder.models.sqla import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import deferred, relationship

from app.models.crm import utcnow

BUNDLE_STATES = ("queued", "running", "assembling", "done", "failed")


class PdfBundle(Model):
    """One request for a zip of PDFs: who asked, which kind, progress and the result."""

    __tablename__ = "pdf_bundle"
    __table_args__ = (
        CheckConstraint(
            "state IN (" + ", ".join(f"'{s}'" for s in BUNDLE_STATES) + ")",
            name="ck_pdf_bundle_state",
        ),
    )
    id = Column(Integer, primary_key=True)
    kind = Column(String(20), nullable=False)
    requested_by_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    requested_by = relationship(User)
    state = Column(String(20), nullable=False, default="queued")
    total = Column(Integer, nullable=False)
    done = Column(Integer, nullable=False, default=0)  # documents whose PDF is ready
    chunks = Column(Integer, nullable=False)
    chunks_done = Column(Integer, nullable=False, default=0)
    error = Column(Text)
    filename = Column(String(120), nullable=False)
    size = Column(Integer)
    content = deferred(Column(LargeBinary))
    created_at = Column(DateTime, default=utcnow, nullable=False)
    finished_at = Column(DateTime)


class PdfBundleItem(Model):
    """One document of a bundle, in order, and the stored PDF it gets in the zip."""

    __tablename__ = "pdf_bundle_item"
    __table_args__ = (UniqueConstraint("bundle_id", "position", name="uq_pdf_bundle_position"),)
    id = Column(Integer, primary_key=True)
    bundle_id = Column(
        Integer, ForeignKey("pdf_bundle.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position = Column(Integer, nullable=False)
    chunk = Column(Integer, nullable=False)
    document_id = Column(Integer, ForeignKey("document.id"), nullable=False)
    pdf_id = Column(Integer, ForeignKey("document_pdf.id"))  # set when its chunk ran
