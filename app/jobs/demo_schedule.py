"""The demo's scheduler: one thread that starts the status pull at 09:00 and 18:00 Tokyo,
the payment reminders daily at REMINDER_HOUR, wholesale's monthly closings at 01:00 and
the subscription billing run daily at BILLING_HOUR (app/jobs/billing.py; all Tokyo).

With Redis, RQ's cron schedules the pull (schedule.py) and this module does nothing.
The demo (``make run``: no Redis, jobs on an in-process pool) has no cron process, so
``run.py`` starts this thread once. It is started at most once per process (a lock and
a module-level handle: a second call returns the running one), never from a request,
and never in the Werkzeug reloader's watching parent — only in the child that serves.
Two demo processes on one database still pull once: the job skips a pull that another
started in the last 30 minutes (app/jobs/sync.py).
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from flask import Flask

from app.services.sync.clock import BUSINESS_TZ

log = logging.getLogger(__name__)

FIRE_AT = (time(9, 0), time(18, 0))  # Asia/Tokyo, the same moments as the rq cron entry
CLOSING_AT = time(1, 0)  # wholesale's monthly closings (app/jobs/orders.py CLOSING_HOUR)
_LOCK = threading.Lock()
_RUNNING: DemoScheduler | None = None


def next_run(now: datetime, times=FIRE_AT, zone=BUSINESS_TZ) -> datetime:
    """The first firing strictly after ``now`` (naive means UTC), as an aware UTC time."""
    moment = now if now.tzinfo else now.replace(tzinfo=UTC)
    local = moment.astimezone(zone)
    for days in range(3):  # Tokyo has no DST; two days always hold the next firing
        day = local.date() + timedelta(days=days)
        for at in sorted(times):
            candidate = datetime.combine(day, at, tzinfo=zone)
            if candidate > local:
                return candidate.astimezone(UTC)
    raise ValueError("no firing time given")


class DemoScheduler(threading.Thread):
    """Sleeps until the next firing, then queues the scheduled pull; stops on request."""

    def __init__(self, app: Flask, due: Callable[[datetime], datetime] = next_run):
        super().__init__(name="renkei-scheduler", daemon=True)
        self.app = app
        self.reminder_at = time(int(app.config.get("REMINDER_HOUR", 9)), 0)
        from app.jobs.billing import BILLING_HOUR

        self.billing_at = time(BILLING_HOUR, 0)
        if due is next_run:  # the pulls, the reminders', the closings' and the billing hour
            due = functools.partial(
                next_run, times=(*FIRE_AT, self.reminder_at, CLOSING_AT, self.billing_at)
            )
        self.due = due
        self.stopping = threading.Event()
        self.fired = 0

    def run(self) -> None:
        """Wait for each firing in turn until stopped."""
        while not self.stopping.is_set():
            now = datetime.now(UTC)
            target = self.due(now)
            if self.stopping.wait(max(0.0, (target - now).total_seconds())):
                return
            self.fire(target)

    def fire(self, at: datetime | None = None) -> None:
        """Queue what is due at ``at`` (in-process pool in the demo); never kill the thread.

        The daily reminders at the configured Tokyo hour; the status pull at its own
        moments (and at any other firing a test asks for).
        """
        from app.jobs.billing import daily_billing_job
        from app.jobs.orders import daily_closing_job
        from app.jobs.reminders import daily_reminders_job
        from app.jobs.sync import scheduled_refresh_job

        local = (at or datetime.now(UTC)).astimezone(BUSINESS_TZ).time().replace(microsecond=0)
        reminders = at is not None and local == self.reminder_at
        closings = at is not None and local == CLOSING_AT
        billing = at is not None and local == self.billing_at
        jobs = [daily_reminders_job] if reminders else []
        if closings:
            jobs.append(daily_closing_job)
        if billing:
            jobs.append(daily_billing_job)
        if not (reminders or closings or billing) or local in FIRE_AT:
            jobs.append(scheduled_refresh_job)
        for scheduled in jobs:
            try:
                with self.app.app_context():
                    scheduled.enqueue()
                self.fired += 1
            except Exception:  # a failed job must not stop the next ones
                log.exception("scheduled job %s could not be queued", scheduled.__name__)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop waiting and end the thread."""
        self.stopping.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)


def start_scheduler(
    app: Flask, *, under_reloader: bool = False, due=next_run
) -> DemoScheduler | None:
    """Start this process's one scheduler thread, or return the one already running.

    None when RQ's cron does the job (REDIS_URL set) or in the reloader's parent.
    """
    if app.config.get("REDIS_URL"):
        return None
    if under_reloader and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return None  # the parent only watches files; its child serves and schedules
    global _RUNNING
    with _LOCK:
        if _RUNNING is None or not _RUNNING.is_alive():
            _RUNNING = DemoScheduler(app, due)
            _RUNNING.start()
            log.info("status pulls scheduled; next at %s UTC", due(datetime.now(UTC)))
        return _RUNNING


def stop_scheduler() -> None:
    """Stop this process's scheduler, if one runs (tests, shutdown)."""
    global _RUNNING
    with _LOCK:
        if _RUNNING is not None:
            _RUNNING.stop()
            _RUNNING = None
