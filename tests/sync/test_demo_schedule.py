"""The demo's in-process scheduler: when it fires next, that it starts once per process,
not in the reloader's parent nor with Redis, and that a firing queues the status pull."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from app.jobs.demo_schedule import DemoScheduler, next_run, start_scheduler, stop_scheduler
from app.models.sync import SyncRun

UTC = dt.UTC


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # 08:59 JST → 09:00 JST the same day (00:00 UTC)
        (dt.datetime(2026, 3, 31, 23, 59, tzinfo=UTC), dt.datetime(2026, 4, 1, 0, 0, tzinfo=UTC)),
        # exactly 09:00 JST → 18:00 JST (strictly after now: never twice for one moment)
        (dt.datetime(2026, 4, 1, 0, 0, tzinfo=UTC), dt.datetime(2026, 4, 1, 9, 0, tzinfo=UTC)),
        # 18:30 JST → 09:00 JST next day
        (dt.datetime(2026, 4, 1, 9, 30, tzinfo=UTC), dt.datetime(2026, 4, 2, 0, 0, tzinfo=UTC)),
        # 23:30 JST on 31 December → 09:00 JST on 1 January
        (dt.datetime(2026, 12, 31, 14, 30), dt.datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
        # 05:00 JST given in another zone → 09:00 JST
        (
            dt.datetime(2026, 6, 30, 16, 0, tzinfo=dt.timezone(dt.timedelta(hours=-4))),
            dt.datetime(2026, 7, 1, 0, 0, tzinfo=UTC),
        ),
    ],
)
def test_next_run_is_the_next_09_or_18_in_tokyo(now, expected):
    assert next_run(now) == expected


def _far(now):
    return now + dt.timedelta(days=1)


@pytest.fixture()
def demo_app(app):
    """The app as the demo runs it: no Redis."""
    saved = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = None
    yield app
    stop_scheduler()
    app.config["REDIS_URL"] = saved


def _schedulers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "renkei-scheduler" and t.is_alive()]


def test_starting_twice_yields_one_scheduler(demo_app):
    started = []
    barrier = threading.Barrier(4)

    def start():
        barrier.wait()
        started.append(start_scheduler(demo_app, due=_far))

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert started[0] is not None and all(s is started[0] for s in started)
    assert start_scheduler(demo_app, due=_far) is started[0]
    assert _schedulers() == [started[0]]
    stop_scheduler()
    assert _schedulers() == []


def test_no_scheduler_with_redis_or_in_the_reloaders_parent(app, demo_app, monkeypatch):
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    assert start_scheduler(demo_app, under_reloader=True, due=_far) is None
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")  # the reloader's serving child
    assert start_scheduler(demo_app, under_reloader=True, due=_far) is not None
    stop_scheduler()
    demo_app.config["REDIS_URL"] = "redis://127.0.0.1:6379/5"  # production: rq cron
    assert start_scheduler(demo_app, due=_far) is None
    assert _schedulers() == []


def test_a_firing_runs_the_scheduled_pull_in_process(demo_app, db_session):
    fired_at = []

    def soon_then_far(now):
        if not fired_at:
            fired_at.append(now)
            return now + dt.timedelta(seconds=0.2)
        return now + dt.timedelta(days=1)

    scheduler = start_scheduler(demo_app, due=soon_then_far)
    assert isinstance(scheduler, DemoScheduler)
    deadline = time.monotonic() + 10
    while not db_session.query(SyncRun).filter_by(kind="scheduled_refresh").count():
        assert time.monotonic() < deadline, "the scheduled pull never ran"
        time.sleep(0.1)
        db_session.rollback()
    assert scheduler.fired == 1
    run = db_session.query(SyncRun).filter_by(kind="scheduled_refresh").one()
    deadline = time.monotonic() + 10
    while run.status not in ("finished", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
        db_session.refresh(run)
    assert run.started_by_id is None and run.status == "finished"
    db_session.delete(run)
    db_session.commit()
