"""Bookkeeping of a sync run: start, heartbeat, record a failure, finish — and make sure
every run ends: a job that raises anything is marked failed (with a Retry), and a run
whose worker died (no heartbeat for SYNC_HEARTBEAT_STALE_MINUTES) is marked unknown."""

from __future__ import annotations

import contextlib
import logging
import threading
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.extensions import db
from app.models.crm import utcnow
from app.models.sync import ExternalDocument, SyncFailure, SyncRun
from app.services import launchers
from app.services.locking import lock

log = logging.getLogger(__name__)

COMMIT_EVERY = 100
HEARTBEAT_SECONDS = 15.0  # SYNC_HEARTBEAT_SECONDS
STALE_MINUTES = 5.0  # SYNC_HEARTBEAT_STALE_MINUTES
CREATING = ("create_invoice", "retry")
ENDED = ("finished", "failed", "unknown")
# The launcher-registry entry (app.services.launchers) that tells whether a queued job
# can still run (app.jobs.queue.job_lost).
JOB_LOST = "job_lost"


def start(run: SyncRun) -> None:
    """Mark ``run`` running."""
    run.status = "running"
    run.started_at = run.started_at or utcnow()
    run.heartbeat_at = utcnow()
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


def _setting(name: str, default: float) -> float:
    return float(current_app.config.get(name) or default)


@contextlib.contextmanager
def heartbeat(run_id: int):
    """While the block runs, a thread writes ``run_id``'s heartbeat every few seconds on
    its own connection, so a slow provider call still shows a live worker; a killed
    worker stops beating and the run is found (``end_stale_runs``)."""
    every = _setting("SYNC_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS)
    engine = db.engine
    stop = threading.Event()
    table = SyncRun.__table__

    def beat() -> None:
        while not stop.wait(every):
            try:
                with engine.begin() as conn:
                    conn.execute(
                        table.update()
                        .where(table.c.id == run_id, table.c.status == "running")
                        .values(heartbeat_at=utcnow())
                    )
            except Exception:  # a missed beat is not fatal; the next one may pass
                log.warning("heartbeat of sync run %s not written", run_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"sync-run-{run_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(every + 5)


@contextlib.contextmanager
def working(run_id: int):
    """Around a run's work: a heartbeat while it works, and whatever it raises ends the
    run as failed with words and a Retry (then re-raised, so the job shows failed too)."""
    try:
        with heartbeat(run_id):
            yield
    except BaseException as exc:
        end_crashed(run_id, exc)
        raise


def _creation_words(error: str) -> str:
    return _(
        "The run stopped on an unexpected error (%(error)s). The invoice may have been "
        "created at the provider: Retry looks for it there before creating, so it is "
        "never created twice.",
        error=error,
    )


def end_crashed(run_id: int, exc: BaseException) -> None:
    """The job of ``run_id`` raised ``exc`` (not a provider's refusal): fail the run with
    words and a Retry, and free its document. Never raises."""
    try:
        db.session.rollback()
        run = db.session.get(SyncRun, run_id)
        if run is None:
            return
        lock(run)
        if run.status in ENDED:
            db.session.commit()
            return
        error = f"{type(exc).__name__}: {exc}"[:300]
        if run.kind in CREATING:
            _end_creation(run, "failed", _creation_words(error))
        else:
            message = _("The run stopped on an unexpected error (%(error)s).", error=error)
            record_failure(run, message, deal_id=_single_deal(run))
            _close(run, "failed", message)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("sync run %s could not be marked failed", run_id)


def end_stale_runs() -> int:
    """Mark unknown every running run whose heartbeat is older than the limit (its worker
    died); returns how many. Called by the scheduler and before new sync requests."""
    limit = timedelta(minutes=_setting("SYNC_HEARTBEAT_STALE_MINUTES", STALE_MINUTES))
    cutoff = utcnow() - limit
    last_sign = sa.func.coalesce(SyncRun.heartbeat_at, SyncRun.started_at, SyncRun.queued_at)
    ids = [
        run_id
        for (run_id,) in db.session.query(SyncRun.id)
        .filter(SyncRun.status == "running", last_sign < cutoff)
        .order_by(SyncRun.id)
    ]
    ended = _end_lost_queued(cutoff)
    for run_id in ids:
        run = lock(db.session.get(SyncRun, run_id))
        sign = run.heartbeat_at or run.started_at or run.queued_at
        if run.status != "running" or sign >= cutoff:  # it beat, or ended, meanwhile
            db.session.commit()
            continue
        if run.kind in CREATING:
            message = _(
                "Unknown — may have been created: the worker stopped answering during the "
                "run. Retry looks for the invoice at the provider before creating, so it is "
                "never created twice."
            )
            _end_creation(run, "unknown", message)
        else:
            message = _("Unknown: the worker stopped answering during the run.")
            record_failure(run, message, deal_id=_single_deal(run))
            _close(run, "unknown", message)
        db.session.commit()
        ended += 1
    return ended


def _end_lost_queued(cutoff) -> int:
    """Queued runs older than ``cutoff`` whose job can no longer run (the demo's process
    was restarted, the queue lost it): failed, nothing was sent, with a Retry."""
    ids = [
        run_id
        for (run_id,) in db.session.query(SyncRun.id)
        .filter(SyncRun.status == "queued", SyncRun.queued_at < cutoff)
        .order_by(SyncRun.id)
    ]
    ended = 0
    for run_id in ids:
        run = lock(db.session.get(SyncRun, run_id))
        if run.status != "queued" or not launchers.launch(JOB_LOST, run.job_id):
            db.session.commit()
            continue
        message = _(
            "The work was lost before it started (the server or its queue stopped); "
            "nothing was sent. Retry starts it again."
        )
        if run.kind in CREATING:
            _end_creation(run, "failed", message)
        else:
            record_failure(run, message, deal_id=_single_deal(run))
            _close(run, "failed", message)
        db.session.commit()
        ended += 1
    return ended


def _end_creation(run: SyncRun, status: str, message: str) -> None:
    document = db.session.get(ExternalDocument, run.document_id) if run.document_id else None
    if document is not None and not document.external_id:
        document.billing_status = "failed"
        document.last_error = message
    record_failure(
        run,
        message,
        deal_id=document.deal_id if document is not None else _single_deal(run),
        document_id=document.id if document is not None else None,
    )
    run.done = run.total or 1
    _close(run, status, message)


def _close(run: SyncRun, status: str, message: str) -> None:
    run.status = status
    run.finished_at = utcnow()
    run.message = message


def _single_deal(run: SyncRun):
    """The deal a run on one deal was about, if it still exists."""
    import json

    from app.models.crm import Deal

    ids = json.loads(run.deal_ids) if run.deal_ids else None
    if not ids or len(ids) != 1 or db.session.get(Deal, ids[0]) is None:
        return None
    return ids[0]
