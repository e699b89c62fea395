"""One structured line when a job starts and one when it ends (logfmt, logger ``renkei.jobs``).

::

    job.start job=create_invoice_job rq_id=… user=3 run_id=12 document_id=40 connection_id=2
    job.end job=create_invoice_job rq_id=… user=3 run_id=12 document_id=40 connection_id=2
        duration_ms=183 outcome=ok

``user`` is the id of the person the job acts for (``as_user``), ``system`` for the
scheduler's jobs; every argument whose name ends in ``_id`` or ``_ids`` (connection,
document, run, deal …) is printed by name. ``outcome`` is ``ok`` or ``failed`` with the
exception's class as ``error`` (its message goes to the usual traceback, not here: it
may quote a provider's answer). The scheduler writes ``schedule.enqueue`` lines the same
way (scheduler.py).
"""

from __future__ import annotations

import inspect
import logging
import time
from contextlib import contextmanager

log = logging.getLogger("renkei.jobs")
_MAX_IDS = 20  # a list of ids is cut after this many (a bulk job's thousand documents)


def _value(value) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        shown = ",".join(str(v) for v in items[:_MAX_IDS])
        more = f",+{len(items) - _MAX_IDS}" if len(items) > _MAX_IDS else ""
        return f"[{shown}{more}]"
    text = str(value)
    return text if text and " " not in text and "=" not in text else repr(text)


def fields(**values) -> str:
    """``key=value`` pairs in order, skipping None."""
    return " ".join(f"{k}={_value(v)}" for k, v in values.items() if v is not None)


def job_ids(func, args, kwargs) -> dict:
    """The arguments of ``func`` that name records: ``*_id`` and ``*_ids``."""
    try:
        bound = inspect.signature(func).bind_partial(*args, **kwargs).arguments
    except TypeError:
        bound = dict(kwargs)
    return {k: v for k, v in bound.items() if k.endswith(("_id", "_ids")) and k != "as_user"}


def run_context(ids: dict) -> dict:
    """For a job on a sync run: who started it and on which connection (``user=None``:
    the scheduler). Read on a connection of its own: the job's session stays untouched."""
    run_id = ids.get("run_id")
    if not isinstance(run_id, int):
        return {}
    from sqlalchemy import select

    from app.extensions import db
    from app.models.sync import SyncRun

    try:
        with db.engine.connect() as connection:
            row = connection.execute(
                select(SyncRun.started_by_id, SyncRun.connection_id).where(SyncRun.id == run_id)
            ).first()
    except Exception:  # the log line never stops a job
        return {}
    if row is None:
        return {}
    return {"user": row.started_by_id, "connection_id": row.connection_id}


def _rq_id() -> str | None:
    try:
        from rq import get_current_job

        current = get_current_job()
    except Exception:  # outside a worker (in-process demo jobs)
        return None
    return current.id if current is not None else None


@contextmanager
def logged(name: str, user, ids: dict):
    """Log the start and the end (duration, outcome) of the job ``name`` around the block."""
    head = fields(job=name, rq_id=_rq_id(), user=user if user is not None else "system", **ids)
    log.info("job.start %s", head)
    started = time.perf_counter()
    try:
        yield
    except BaseException as exc:
        ms = round((time.perf_counter() - started) * 1000)
        log.info(
            "job.end %s %s",
            head,
            fields(duration_ms=ms, outcome="failed", error=type(exc).__name__),
        )
        raise
    ms = round((time.perf_counter() - started) * 1000)
    log.info("job.end %s %s", head, fields(duration_ms=ms, outcome="ok"))
