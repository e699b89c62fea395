"""The recurring jobs, as data, registered with RQ's built-in cron (RQ ≥ 3.0).

Run exactly one scheduler process next to the workers::

    rq cron app.jobs.schedule --url "$REDIS_URL"

Loading this module registers each entry once (``rq.cron`` clears its registry before
it loads a config). ``ensure_single_scheduler`` refuses a second live scheduler, and the
job itself skips a pull when another started in the last 30 minutes, so two schedulers
started by mistake still do not double the pull. Without Redis (the demo) rq cron does
not run; one in-process thread fires at the same moments instead (demo_schedule.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from rq import cron

from app.jobs.billing import BILLING_HOUR, daily_billing_job
from app.jobs.orders import CLOSING_HOUR, daily_closing_job
from app.jobs.reminders import daily_reminders_job
from app.jobs.sync import (
    QUEUE,
    customer_sync_due_job,
    end_stale_runs_job,
    scheduled_refresh_job,
)
from config import reminder_hour


@dataclass(frozen=True)
class Scheduled:
    """One recurring job: what to run, when (cron, UTC) and on which queue."""

    name: str
    func: object
    cron: str
    queue: str = QUEUE
    timeout: int = 3600


def reminder_cron(tokyo_hour: int) -> str:
    """The UTC cron line of a daily run at ``tokyo_hour`` in Asia/Tokyo (UTC+9, no DST)."""
    return f"0 {(tokyo_hour - 9) % 24} * * *"


# 09:00 and 18:00 Asia/Tokyo = 00:00 and 09:00 UTC (RQ's cron runs in UTC).
SCHEDULE = (
    Scheduled("renkei-status-pull", scheduled_refresh_job, "0 0,9 * * *"),
    # Runs whose worker died (no heartbeat) are marked unknown, with a Retry.
    Scheduled("renkei-sync-watchdog", end_stale_runs_job, "*/5 * * * *", timeout=300),
    # Each connection's customer sync runs when its own schedule (minutes) is due.
    Scheduled("renkei-customer-sync", customer_sync_due_job, "*/5 * * * *", timeout=300),
    # Payment reminders, daily at RENKEI_REMINDER_HOUR Tokyo time (default 09:00).
    Scheduled(
        "renkei-reminders", daily_reminders_job, reminder_cron(reminder_hour()), timeout=1800
    ),
    # Wholesale's monthly closings of customers whose closing day was yesterday (Tokyo).
    Scheduled("renkei-order-closing", daily_closing_job, reminder_cron(CLOSING_HOUR), timeout=1800),
    # Subscription invoices, daily at BILLING_HOUR Tokyo time (06:00): each period once.
    Scheduled("renkei-billing", daily_billing_job, reminder_cron(BILLING_HOUR), timeout=3600),
)


def register_all(registry=cron) -> list:
    """Register every entry of SCHEDULE (with ``rq.cron`` or a CronScheduler)."""
    return [
        registry.register(
            entry.func, entry.queue, cron=entry.cron, job_timeout=entry.timeout, name=entry.name
        )
        for entry in SCHEDULE
    ]


def ensure_single_scheduler(connection) -> None:
    """Raise RuntimeError if a cron scheduler is already alive on this Redis."""
    alive = cron.CronScheduler.all(connection)
    if alive:
        names = ", ".join(s.name for s in alive)
        raise RuntimeError(f"a scheduler is already running ({names}); run only one")


register_all()
