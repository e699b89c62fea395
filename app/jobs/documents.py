"""Document jobs: thin wrappers that take ids and call app.services.documents.

The send right depends on the document's kind, so the service checks it when the job
runs (``deliver``), instead of the decorator's fixed ``requires``.

The service does not import this module: ``wire`` hands it the job's ``enqueue`` as the
launcher ``sending.SEND_JOB`` (app.services.launchers) when create_app wires the app.
"""

from __future__ import annotations

from app.jobs.queue import job
from app.services import launchers
from app.services.documents import pdf_bundles, sending

QUEUE = "default"


@job(queue=QUEUE, timeout=120)
def send_document_email(dispatch_id: int, as_user: int | None = None) -> str:
    """Send one queued document email over SMTP; returns the dispatch's state."""
    return sending.deliver(dispatch_id, as_user)


@job(queue=QUEUE, timeout=1800)
def pdf_bundle_chunk(bundle_id: int, chunk: int, as_user: int | None = None) -> int:
    """Get the stored PDFs of one chunk of a zip of PDFs (render what changed)."""
    return pdf_bundles.perform_chunk(bundle_id, chunk, as_user)


@job(queue=QUEUE, timeout=1800)
def pdf_bundle_assemble(bundle_id: int, as_user: int | None = None) -> int:
    """Zip the PDFs of a bundle whose chunks are all done (once)."""
    return pdf_bundles.perform_assemble(bundle_id, as_user)


def wire(app) -> None:
    """Give the document services of ``app`` the way to queue these jobs."""
    launchers.register(app, sending.SEND_JOB, send_document_email.enqueue)
    launchers.register(app, pdf_bundles.CHUNK_JOB, pdf_bundle_chunk.enqueue)
    launchers.register(app, pdf_bundles.ASSEMBLE_JOB, pdf_bundle_assemble.enqueue)
