"""Document jobs: thin wrappers that take ids and call app.services.documents.

The send right depends on the document's kind, so the service checks it when the job
runs (``deliver``), instead of the decorator's fixed ``requires``.
"""

from __future__ import annotations

from app.jobs.queue import job

QUEUE = "default"


@job(queue=QUEUE, timeout=120)
def send_document_email(dispatch_id: int, as_user: int | None = None) -> str:
    """Send one queued document email over SMTP; returns the dispatch's state."""
    from app.services.documents.sending import deliver

    return deliver(dispatch_id, as_user)
