"""Sync jobs: thin wrappers that take ids and call app.services.sync.

The user's right to create documents at the provider is re-checked by the service
when the job runs (a failed run with a clear message, nothing sent), not only when queued.
Each run's work is inside ``runs.working``: a heartbeat while it works, and any
exception ends the run as failed with a Retry; a killed worker's run is found by
``end_stale_runs`` (the watchdog below, and the next sync request).
"""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.jobs.queue import job, job_lost
from app.models.crm import utcnow
from app.models.sync import SyncRun
from app.services import launchers

QUEUE = "default"
SCHEDULE_GUARD = timedelta(minutes=30)


@job(queue=QUEUE, timeout=600)
def create_invoice_job(run_id: int, document_id: int) -> str:
    """Create one document at its provider (idempotent: safe to run again)."""
    from app.services.sync import runs
    from app.services.sync.create import perform_create

    with runs.working(run_id):
        return perform_create(run_id, document_id)


@job(queue=QUEUE, timeout=3600)
def refresh_statuses_job(run_id: int) -> int:
    """Pull billing statuses for the run's deals (or all deals)."""
    from app.services.sync import runs
    from app.services.sync.refresh import perform_refresh

    with runs.working(run_id):
        perform_refresh(run_id)
    return run_id


@job(queue=QUEUE, timeout=3600)
def scheduled_refresh_job() -> int | None:
    """The twice-daily pull of every connection; skipped if one started in the last 30 min."""
    from app.services.sync import runs
    from app.services.sync.refresh import perform_refresh

    runs.end_stale_runs()
    recent = (
        db.session.query(SyncRun)
        .filter(SyncRun.kind == "scheduled_refresh")
        .filter(SyncRun.queued_at > utcnow() - SCHEDULE_GUARD)
        .first()
    )
    if recent is not None:
        return None
    run = SyncRun(kind="scheduled_refresh")
    db.session.add(run)
    db.session.commit()
    with runs.working(run.id):
        perform_refresh(run.id)
    return run.id


@job(queue=QUEUE, timeout=300)
def push_payment_status_job(link_id: int, user_id: int | None = None) -> str:
    """Tell the provider that the link's invoice is paid (safe to run again)."""
    from app.services.sync.settlement import perform_push

    return perform_push(link_id, user_id)


@job(queue=QUEUE, timeout=4 * 3600)
def customer_sync_job(run_id: int) -> int:
    """Keep the connection's customers and products in step (app.services.sync.customers)."""
    from app.services.sync import runs
    from app.services.sync.customer_runs import perform_customer_sync

    with runs.working(run_id):
        perform_customer_sync(run_id)
    return run_id


@job(queue=QUEUE, timeout=300)
def customer_sync_due_job() -> list[int]:
    """Queue the customer syncs whose schedule is due."""
    from app.services.sync.customer_runs import run_due_syncs

    return run_due_syncs()


@job(queue=QUEUE, timeout=300)
def end_stale_runs_job() -> int:
    """Mark unknown the runs whose worker stopped beating (SYNC_HEARTBEAT_STALE_MINUTES)."""
    from app.services.sync import runs

    return runs.end_stale_runs()


def wire(app) -> None:
    """Give the sync services of ``app`` the way to queue these jobs (and to ask whether
    a queued one can still run)."""
    from app.services.sync import customer_runs, issuing, requests, runs, settlement

    launchers.register(app, requests.CREATE_JOB, create_invoice_job.enqueue)
    launchers.register(app, settlement.PUSH_JOB, push_payment_status_job.enqueue)
    issuing.wire()
    settlement.wire()
    launchers.register(app, requests.REFRESH_JOB, refresh_statuses_job.enqueue)
    launchers.register(app, runs.JOB_LOST, job_lost)
    launchers.register(app, customer_runs.JOB, customer_sync_job.enqueue)
