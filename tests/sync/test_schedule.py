"""The twice-daily pull is registered with RQ's cron once, and never runs twice at once."""

from __future__ import annotations

from rq.cron import CronScheduler

from app.jobs.sync import scheduled_refresh_job
from app.models.sync import SyncRun


def test_schedule_is_registered_once_at_09_and_18_tokyo(redis_conn):
    for _ in range(2):  # loading the config again does not double the entry
        scheduler = CronScheduler(connection=redis_conn)
        scheduler.load_config_from_file("app.jobs.schedule")
        entries = {e.func_name: e for e in scheduler.get_jobs()}
        assert len(entries) == len(scheduler.get_jobs()) == 6
        entry = entries["app.jobs.sync.scheduled_refresh_job"]
        assert entry.cron == "0 0,9 * * *"
        assert entry.next_enqueue_time.hour in (0, 9)
        # the watchdog that marks runs of dead workers unknown
        assert entries["app.jobs.sync.end_stale_runs_job"].cron == "*/5 * * * *"
        # each connection's customer sync, when its own schedule is due
        assert entries["app.jobs.sync.customer_sync_due_job"].cron == "*/5 * * * *"
        # payment reminders, daily at RENKEI_REMINDER_HOUR in Tokyo (09:00 = 00:00 UTC)
        assert entries["app.jobs.reminders.daily_reminders_job"].cron == "0 0 * * *"
        # wholesale's monthly closings, daily at 01:00 Tokyo (16:00 UTC the day before)
        assert entries["app.jobs.orders.daily_closing_job"].cron == "0 16 * * *"
        # subscription invoices, daily at 06:00 Tokyo (21:00 UTC the day before)
        assert entries["app.jobs.billing.daily_billing_job"].cron == "0 21 * * *"


def test_the_reminder_hour_is_a_tokyo_hour():
    import pytest

    from app.jobs.schedule import reminder_cron
    from config import ConfigError, reminder_hour

    assert reminder_cron(9) == "0 0 * * *"
    assert reminder_cron(8) == "0 23 * * *"  # 08:00 Tokyo is 23:00 UTC the day before
    assert reminder_cron(18) == "0 9 * * *"
    assert reminder_hour({}) == 9 and reminder_hour({"RENKEI_REMINDER_HOUR": "7"}) == 7
    for bad in ("24", "-1", "nine"):
        with pytest.raises(ConfigError):
            reminder_hour({"RENKEI_REMINDER_HOUR": bad})


def test_a_second_scheduler_is_refused(redis_conn):
    import pytest

    from app.jobs.schedule import ensure_single_scheduler

    ensure_single_scheduler(redis_conn)
    scheduler = CronScheduler(connection=redis_conn)
    scheduler.register_birth()
    try:
        with pytest.raises(RuntimeError):
            ensure_single_scheduler(redis_conn)
    finally:
        scheduler.register_death()


def test_scheduled_pull_started_twice_runs_once(app, db_session, mf):
    first = scheduled_refresh_job()
    second = scheduled_refresh_job()
    assert first is not None and second is None
    assert db_session.query(SyncRun).filter_by(kind="scheduled_refresh").count() == 1
