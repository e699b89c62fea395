"""Bookkeeping of a sync run: start, record a failure, finish."""

from __future__ import annotations

from app.extensions import db
from app.models.crm import utcnow
from app.models.sync import SyncFailure, SyncRun

COMMIT_EVERY = 100


def start(run: SyncRun) -> None:
    """Mark ``run`` running."""
    run.status = "running"
    run.started_at = run.started_at or utcnow()
    db.session.commit()


def record_failure(run: SyncRun, message: str, deal_id=None, document_id=None) -> SyncFailure:
    """Add a failure to ``run`` (caller commits)."""
    failure = SyncFailure(run_id=run.id, message=message, deal_id=deal_id, document_id=document_id)
    db.session.add(failure)
    run.failed = (run.failed or 0) + 1
    return failure


def finish(run: SyncRun, message: str | None = None, failed: bool = False) -> None:
    """Mark ``run`` finished (or failed) and commit."""
    run.status = "failed" if failed else "finished"
    run.finished_at = utcnow()
    if message:
        run.message = message
    db.session.commit()
