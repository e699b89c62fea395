"""The ONE scheduler process: ``python scheduler.py``. Run exactly one, next to the workers.

It needs REDIS_URL (and the same settings as the web app: it loads them to check them).
It refuses to start when another scheduler is alive on the same Redis, registers
``app.jobs.schedule.SCHEDULE`` with RQ's cron scheduler, queues the watchdog once at
start (runs left "running" by a machine that went down are ended at once, not in up to
5 minutes) and writes one structured line per job it queues::

    schedule.enqueue name=renkei-sync-watchdog job=end_stale_runs_job queue=default rq_id=…
        user=system duration_ms=2
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def make_scheduler(connection):
    """A CronScheduler with Renkei's schedule, logging what it queues."""
    from rq.cron import CronScheduler

    from app.jobs.schedule import register_all
    from app.ops.joblog import fields

    log = logging.getLogger("renkei.schedule")

    class LoggedScheduler(CronScheduler):
        def enqueue_jobs(self):
            due = [entry for entry in self._cron_jobs if entry.should_run()]
            started = time.perf_counter()
            enqueued = super().enqueue_jobs()
            ms = round((time.perf_counter() - started) * 1000)
            for entry in enqueued:
                ids = entry.get_job_ids(self.connection, 0, 0)
                line = fields(
                    name=entry.name,
                    job=getattr(entry.func, "__name__", "?"),
                    queue=entry.queue_name,
                    rq_id=ids[0] if ids else None,
                    user="system",
                    duration_ms=ms,
                )
                log.info("schedule.enqueue %s", line)
            if due and len(enqueued) != len(due):  # pragma: no cover - RQ's own rule
                log.warning("schedule.skipped %s", fields(due=len(due), queued=len(enqueued)))
            return enqueued

    scheduler = LoggedScheduler(connection=connection)
    register_all(scheduler)
    return scheduler


def main(argv: list[str] | None = None) -> int:
    """Start the scheduler until stopped (SIGTERM / Ctrl+C)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args(argv)
    # RQ's cron reads its expressions in the process's local time; ours are UTC.
    os.environ["TZ"] = "UTC"
    time.tzset()
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)

    from app import create_app
    from app.jobs.queue import redis_connection
    from app.jobs.schedule import ensure_single_scheduler
    from app.jobs.sync import end_stale_runs_job
    from app.ops.joblog import fields

    app = create_app()
    if not app.config.get("REDIS_URL"):
        print(
            "REDIS_URL is not set: in demo mode `make run` schedules in-process.", file=sys.stderr
        )
        return 2
    connection = redis_connection(app)
    try:
        ensure_single_scheduler(connection)
    except RuntimeError as exc:
        print(f"Not starting: {exc}.", file=sys.stderr)
        return 3
    with app.app_context():
        handle = end_stale_runs_job.enqueue()
    logging.getLogger("renkei.schedule").info(
        "schedule.enqueue %s",
        fields(name="startup-watchdog", job="end_stale_runs_job", rq_id=handle.id, user="system"),
    )
    make_scheduler(connection).start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
