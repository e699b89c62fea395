"""A zip of many documents' PDFs, made by jobs across the workers, with progress.

``start_bundle`` records the request (PdfBundle) and its documents in order
(PdfBundleItem), split into chunks of ``PDF_BUNDLE_CHUNK`` documents, and queues one job
per chunk: any worker takes any chunk. A chunk gets each document's PDF from
``pdf.render_document`` — the stored PDF when the document and its template did not
change (and the sent PDF of a sent document), rendered and stored otherwise — and notes
which stored PDF it is. Progress (``done``) grows as documents are ready; the chunk that
ends last (an atomic counter) queues the assembly, which zips the noted PDFs in order
and keeps the zip on the bundle until it is downloaded, for the person who asked only.

Rights: reading the kind, checked when the bundle is asked for, when each chunk runs
(``render_document``) and at download.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import tempfile
import zipfile

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import update

from app.extensions import db
from app.models.crm import utcnow
from app.models.documents import Document
from app.models.pdf_bundles import PdfBundle, PdfBundleItem
from app.models.publishing import DocumentPdf
from app.security.rights import user_may
from app.services import launchers
from app.services.documents import pdf
from app.services.documents.actions import RESOURCE
from app.services.errors import Forbidden, InvalidInput, NotFound

log = logging.getLogger(__name__)
# The launchers (app.services.launchers) of the jobs in app/jobs/documents.py.
CHUNK_JOB = "pdf_bundle_chunk"
ASSEMBLE_JOB = "pdf_bundle_assemble"
DEFAULT_CHUNK = 50
DEFAULT_MAX = 5000
PROGRESS_EVERY = 10  # documents between two progress updates
KEEP_FOR = dt.timedelta(days=1)  # a user's finished bundles are dropped after this
SPOOL = 32 << 20  # a zip bigger than this is assembled on disk


def _require_read(kind: str, user) -> None:
    if kind not in RESOURCE:
        raise NotFound(_("No such kind of document."))
    if not user_may(user, "can_read", RESOURCE[kind]):
        raise Forbidden(
            _(
                "You may not see this document (it needs can_read on %(r)s).",
                r=RESOURCE[kind],
            )
        )


def start_bundle(kind: str, document_ids, user) -> PdfBundle:
    """Ask for a zip of the PDFs of ``document_ids`` (of ``kind``); queue its chunks."""
    _require_read(kind, user)
    ids = list(dict.fromkeys(int(i) for i in document_ids))
    if not ids:
        raise InvalidInput(_("Choose at least one document."), field="documents")
    limit = int(current_app.config.get("PDF_BUNDLE_MAX", DEFAULT_MAX))
    if len(ids) > limit:
        raise InvalidInput(
            _("At most %(n)s documents fit in one zip; narrow the list.", n=limit),
            field="documents",
        )
    printable = {
        row.id
        for row in db.session.query(Document.id).filter(
            Document.id.in_(ids), Document.kind == kind, Document.number.isnot(None)
        )
    }
    ids = [i for i in ids if i in printable]
    if not ids:
        raise InvalidInput(_("Choose at least one document."), field="documents")
    size = max(1, int(current_app.config.get("PDF_BUNDLE_CHUNK", DEFAULT_CHUNK)))
    user_id = getattr(user, "id", user)
    _drop_old(user_id)
    bundle = PdfBundle(
        kind=kind,
        requested_by_id=user_id,
        state="queued",
        total=len(ids),
        done=0,
        chunks=math.ceil(len(ids) / size),
        chunks_done=0,
        filename=f"{kind}-{dt.date.today().isoformat()}.zip",
    )
    db.session.add(bundle)
    db.session.flush()
    db.session.bulk_insert_mappings(
        PdfBundleItem,
        [
            {"bundle_id": bundle.id, "position": n, "chunk": n // size, "document_id": i}
            for n, i in enumerate(ids)
        ],
    )
    db.session.commit()
    for chunk in range(bundle.chunks):
        launchers.launch(CHUNK_JOB, bundle.id, chunk, as_user=user_id)
    return bundle


def _drop_old(user_id: int) -> None:
    """Forget this user's bundles older than a day (their zips with them)."""
    old = (
        db.session.query(PdfBundle.id)
        .filter(PdfBundle.requested_by_id == user_id, PdfBundle.created_at < utcnow() - KEEP_FOR)
        .all()
    )
    if old:
        ids = [row.id for row in old]
        db.session.query(PdfBundleItem).filter(PdfBundleItem.bundle_id.in_(ids)).delete()
        db.session.query(PdfBundle).filter(PdfBundle.id.in_(ids)).delete()


def _advance(bundle_id: int, documents: int, chunk_done: bool):
    """Add to the bundle's progress atomically; (chunks_done, chunks) after the change."""
    values = {"done": PdfBundle.done + documents}
    if chunk_done:
        values["chunks_done"] = PdfBundle.chunks_done + 1
    row = db.session.execute(
        update(PdfBundle)
        .where(PdfBundle.id == bundle_id)
        .values(**values)
        .returning(PdfBundle.chunks_done, PdfBundle.chunks)
    ).one()
    db.session.commit()
    return row


def fail(bundle_id: int, message: str) -> None:
    """End the bundle as failed, with words for the person who asked."""
    db.session.rollback()
    db.session.execute(
        update(PdfBundle)
        .where(PdfBundle.id == bundle_id, PdfBundle.state != "done")
        .values(state="failed", error=message[:2000], finished_at=utcnow())
    )
    db.session.commit()


def perform_chunk(bundle_id: int, chunk: int, user_id: int) -> int:
    """A chunk job's work: every document of the chunk gets its stored PDF; returns how
    many. The chunk that ends last queues the assembly."""
    bundle = db.session.get(PdfBundle, bundle_id)
    if bundle is None or bundle.state in ("failed", "done"):
        return 0
    user = current_app.appbuilder.sm.get_user_by_id(user_id)
    db.session.execute(
        update(PdfBundle)
        .where(PdfBundle.id == bundle_id, PdfBundle.state == "queued")
        .values(state="running")
    )
    db.session.commit()
    items = (
        db.session.query(PdfBundleItem)
        .filter(PdfBundleItem.bundle_id == bundle_id, PdfBundleItem.chunk == chunk)
        .order_by(PdfBundleItem.position)
        .all()
    )
    pending = 0
    try:
        for item in items:
            if item.pdf_id is None:  # a chunk run again skips what it did
                document = db.session.get(Document, item.document_id)
                item.pdf_id = pdf.render_document(document, user).id
            pending += 1
            if pending == PROGRESS_EVERY:
                db.session.commit()
                _advance(bundle_id, pending, chunk_done=False)
                pending = 0
        db.session.commit()
    except Exception as exc:
        fail(bundle_id, _("The PDFs could not be made: %(error)s", error=str(exc)))
        raise
    chunks_done, chunks = _advance(bundle_id, pending, chunk_done=True)
    if chunks_done == chunks:
        launchers.launch(ASSEMBLE_JOB, bundle_id, as_user=user_id)
    return len(items)


def perform_assemble(bundle_id: int, user_id: int) -> int:
    """The assembly job: zip the chunks' PDFs in order, once; returns the zip's size."""
    claimed = db.session.execute(
        update(PdfBundle)
        .where(
            PdfBundle.id == bundle_id,
            PdfBundle.state.in_(("queued", "running")),
            PdfBundle.chunks_done == PdfBundle.chunks,
        )
        .values(state="assembling")
        .returning(PdfBundle.id)
    ).first()
    db.session.commit()
    if claimed is None:  # assembled already, or failed
        return 0
    try:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL) as spool:
            _write_zip(bundle_id, spool)
            spool.seek(0)
            content = spool.read()
    except Exception as exc:
        fail(bundle_id, _("The zip could not be made: %(error)s", error=str(exc)))
        raise
    db.session.execute(
        update(PdfBundle)
        .where(PdfBundle.id == bundle_id)
        .values(state="done", content=content, size=len(content), finished_at=utcnow())
    )
    db.session.commit()
    return len(content)


def _write_zip(bundle_id: int, out) -> None:
    rows = (
        db.session.query(Document.id, Document.kind, Document.number, DocumentPdf.content)
        .join(PdfBundleItem, PdfBundleItem.document_id == Document.id)
        .join(DocumentPdf, DocumentPdf.id == PdfBundleItem.pdf_id)
        .filter(PdfBundleItem.bundle_id == bundle_id)
        .order_by(PdfBundleItem.position)
        .execution_options(yield_per=100)
    )
    names: set[str] = set()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for row in rows:
            name = pdf.pdf_filename(row)
            if name in names:  # numbers are unique per kind only
                name = f"{row.kind}-{row.id}-{name}"
            names.add(name)
            archive.writestr(name, row.content)


def bundle_for(bundle_id: int, kind: str, user) -> PdfBundle:
    """The bundle ``bundle_id`` of ``kind`` if ``user`` asked for it and may still read it."""
    _require_read(kind, user)
    bundle = db.session.get(PdfBundle, bundle_id)
    user_id = getattr(user, "id", user)
    if bundle is None or bundle.kind != kind or bundle.requested_by_id != user_id:
        raise NotFound(_("No such zip of PDFs."))
    return bundle


def progress(bundle: PdfBundle) -> dict:
    """What the progress page and its polling show."""
    return {
        "id": bundle.id,
        "state": bundle.state,
        "total": bundle.total,
        "done": bundle.done,
        "percent": round(100 * bundle.done / bundle.total) if bundle.total else 100,
        "chunks": bundle.chunks,
        "chunks_done": bundle.chunks_done,
        "size": bundle.size,
        "error": bundle.error,
    }
