"""Background jobs: thin functions that take ids and call services.

``@job`` declares a job's queue, timeout and failure TTL (as Redash does) and gives it
``.enqueue(...)``: with REDIS_URL set the job goes to RQ for ``worker.py``; without it
(the demo) it runs in-process on a small thread pool, inside an app context.
"""

from app.jobs.queue import JobHandle, job

__all__ = ["JobHandle", "job"]
