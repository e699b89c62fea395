"""Where a job runs: an RQ queue in production, a thread pool in the demo."""

from __future__ import annotations

import functools
import inspect
import logging
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue

from app.ops.joblog import job_ids, logged, run_context

log = logging.getLogger(__name__)
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="renkei-job")
_APP: Flask | None = None  # set by worker.py: the app jobs run in
_PENDING: set[str] = set()  # ids of this process's in-process jobs not yet ended


@dataclass
class JobHandle:
    """What enqueue returns: the job id, and for in-process jobs their future."""

    id: str
    queue: str
    in_process: bool
    future: Future | None = field(default=None, repr=False)


def set_worker_app(app: Flask) -> None:
    """Tell jobs which app to run in when no app context is active (RQ workers)."""
    global _APP
    _APP = app


def redis_connection(app: Flask | None = None) -> Redis:
    """The Redis connection for queues, from REDIS_URL."""
    app = app or current_app
    return Redis.from_url(app.config["REDIS_URL"])


def _run_in_app(func, app, args, kwargs):
    from app.extensions import db

    if has_app_context():
        return func(*args, **kwargs)
    app = app or _APP
    if app is None:
        raise RuntimeError("no Flask app to run the job in: call set_worker_app first")
    with app.app_context():
        try:
            return func(*args, **kwargs)
        finally:
            db.session.remove()


def job(
    queue: str = "default",
    timeout: int = 600,
    failure_ttl: int = 7 * 24 * 3600,
    requires: tuple[str, str] | None = None,
):
    """Declare a background job; call ``func.enqueue(*args, as_user=id)`` to run it later.

    With ``requires=(permission, resource)`` the job runs with the rights of the user who
    started it (``as_user``), checked when it *runs*, not when it was queued: a user who
    lost the right in between gets a failed job and nothing done.
    """

    def decorate(func):
        passes_user = "as_user" in inspect.signature(func).parameters

        def checked(*args, as_user=None, **kwargs):
            ids = job_ids(func, args, kwargs)
            user = as_user if as_user is not None else ids.get("user_id")
            if user is None and "run_id" in ids:
                context = run_context(ids)
                user = context.pop("user", None)
                ids.update(context)
            ids.pop("user_id", None)
            with logged(func.__name__, user, ids):
                if requires is not None:
                    from app.security.rights import require

                    require(as_user, *requires)
                if passes_user:
                    kwargs["as_user"] = as_user
                return func(*args, **kwargs)

        @functools.wraps(func)
        def run(*args, **kwargs):
            return _run_in_app(checked, None, args, kwargs)

        def enqueue(*args, **kwargs) -> JobHandle:
            app = current_app._get_current_object()
            if app.config.get("REDIS_URL"):
                rq_queue = Queue(queue, connection=redis_connection(app))
                rq_job = rq_queue.enqueue(
                    run, *args, **kwargs, job_timeout=timeout, failure_ttl=failure_ttl
                )
                log.info("queued %s as %s on %s", func.__name__, rq_job.id, queue)
                return JobHandle(rq_job.id, queue, in_process=False)
            job_id = str(uuid.uuid4())
            _PENDING.add(job_id)
            future = _POOL.submit(_run_in_app, checked, app, args, kwargs)
            future.add_done_callback(functools.partial(_log_outcome, func.__name__, job_id))
            return JobHandle(job_id, queue, in_process=True, future=future)

        run.enqueue = enqueue
        run.queue_name = queue
        return run

    return decorate


def job_lost(job_id: str | None) -> bool:
    """Whether the job ``job_id`` can no longer run: unknown to Redis, or failed, stopped
    or ended there; without Redis, not pending in this process (it was restarted)."""
    if not job_id:
        return True
    if not current_app.config.get("REDIS_URL"):
        return job_id not in _PENDING
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    try:
        status = Job.fetch(job_id, connection=redis_connection()).get_status()
    except NoSuchJobError:
        return True
    return status not in (
        JobStatus.QUEUED,
        JobStatus.STARTED,
        JobStatus.DEFERRED,
        JobStatus.SCHEDULED,
    )


def _log_outcome(name: str, job_id: str, future: Future) -> None:
    _PENDING.discard(job_id)
    if future.exception() is not None:
        log.error("job %s (%s) failed: %s", name, job_id, future.exception())
