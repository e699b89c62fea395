"""Background jobs: thin functions that take ids and call services.

``@job`` declares a job's queue, timeout and failure TTL (as Redash does) and gives it
``.enqueue(...)``: with REDIS_URL set the job goes to RQ for ``worker.py``; without it
(the demo) it runs in-process on a small thread pool, inside an app context.

Jobs import services, never the reverse: ``wire_jobs`` (called by create_app) hands the
services the launchers they need (app.services.launchers).
"""

from app.jobs.queue import JobHandle, job

__all__ = ["JobHandle", "job", "wire_jobs"]


def wire_jobs(app) -> None:
    """Register every job a service may start as a launcher of ``app``."""
    from app.jobs import automation, billing, documents, exports, reminders, sync

    automation.wire(app)
    billing.wire(app)
    documents.wire(app)
    exports.wire(app)
    reminders.wire(app)
    sync.wire(app)
