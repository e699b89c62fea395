"""The billing run is scheduled once, daily at a Tokyo hour: rq cron and the demo's thread."""

from __future__ import annotations

import datetime as dt

import pytest

from app.jobs import billing as billing_jobs
from app.jobs.demo_schedule import DemoScheduler, next_run
from app.jobs.schedule import SCHEDULE

pytestmark = pytest.mark.usefixtures("english")


def test_one_cron_entry_at_the_tokyo_billing_hour():
    (entry,) = [e for e in SCHEDULE if e.func is billing_jobs.daily_billing_job]
    assert entry.cron == f"0 {(billing_jobs.BILLING_HOUR - 9) % 24} * * *"


def test_the_demo_thread_fires_the_billing_run_at_its_hour(app, monkeypatch):
    queued = []
    monkeypatch.setattr(billing_jobs.daily_billing_job, "enqueue", lambda: queued.append(1))
    from app.jobs import reminders, sync

    monkeypatch.setattr(reminders.daily_reminders_job, "enqueue", lambda: None)
    monkeypatch.setattr(sync.scheduled_refresh_job, "enqueue", lambda: None)
    scheduler = DemoScheduler(app)
    # 06:00 Tokyo on 2027-03-01 is 21:00 UTC on 2027-02-28
    at = dt.datetime(2027, 2, 28, 21, 0, tzinfo=dt.UTC)
    assert scheduler.due(at - dt.timedelta(minutes=1)) == at
    scheduler.fire(at)
    assert queued == [1]
    scheduler.fire(at + dt.timedelta(hours=3))  # 09:00 Tokyo: the pull, not billing
    assert queued == [1]
    assert next_run(at, times=(dt.time(6, 0),)) == at + dt.timedelta(days=1)
