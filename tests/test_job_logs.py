"""Workers and the scheduler log what ran, for whom, and how long: one structured line
when a job starts and one when it ends (logger ``renkei.jobs``), one per queued job
(``renkei.schedule``)."""

from __future__ import annotations

import datetime as dt
import logging
import re

import sqlalchemy as sa

from app.extensions import db
from app.models.sync import SyncRun
from tests.jobs_for_tests import add_deal_type, add_deal_type_as

LINE = re.compile(r"^job\.(start|end) (.*)$")


def _lines(caplog, logger="renkei.jobs") -> list[tuple[str, dict]]:
    out = []
    for record in caplog.records:
        if record.name != logger:
            continue
        message = record.getMessage()
        kind, _, rest = message.partition(" ")
        pairs = dict(p.split("=", 1) for p in rest.split(" ") if "=" in p)
        out.append((kind, pairs))
    return out


def test_each_job_logs_start_and_end_with_user_ids_duration_and_outcome(
    app, db_session, redis_conn, run_jobs, caplog
):
    admin_id = app.appbuilder.sm.find_user(username="admin").id
    caplog.set_level(logging.INFO, logger="renkei.jobs")
    with app.app_context():
        add_deal_type_as.enqueue("LOG-A", as_user=admin_id)
        add_deal_type.enqueue("LOG-A")  # the same code again: this one fails
    run_jobs()
    lines = _lines(caplog)
    assert [k for k, _ in lines] == ["job.start", "job.end", "job.start", "job.end"], lines
    ok_end, failed_end = lines[1][1], lines[3][1]
    assert ok_end["job"] == "add_deal_type_as" and ok_end["user"] == str(admin_id)
    assert ok_end["outcome"] == "ok" and int(ok_end["duration_ms"]) >= 0
    assert ok_end["rq_id"] == lines[0][1]["rq_id"] and len(ok_end["rq_id"]) > 8
    assert failed_end["job"] == "add_deal_type" and failed_end["user"] == "system"
    assert failed_end["outcome"] == "failed" and failed_end["error"] == "IntegrityError"
    db_session.rollback()
    db_session.execute(sa.text("DELETE FROM deal_type WHERE code = 'LOG-A'"))
    db_session.commit()


def test_a_sync_run_job_names_who_started_it_and_the_run(
    app, db_session, redis_conn, run_jobs, caplog
):
    from app.jobs.sync import refresh_statuses_job

    sales_id = app.appbuilder.sm.find_user(username="sales").id
    run = SyncRun(kind="refresh", started_by_id=sales_id)
    db_session.add(run)
    db_session.commit()
    caplog.set_level(logging.INFO, logger="renkei.jobs")
    with app.app_context():
        refresh_statuses_job.enqueue(run.id)
    run_id = run.id
    run_jobs()
    (start, start_fields), (end, end_fields) = _lines(caplog)
    assert (start, end) == ("job.start", "job.end")
    assert end_fields["job"] == "refresh_statuses_job"
    assert end_fields["run_id"] == str(run_id) and end_fields["user"] == str(sales_id)
    assert end_fields["outcome"] == "ok"
    db_session.rollback()
    db_session.execute(sa.text("DELETE FROM sync_run WHERE id = :i"), {"i": run_id})
    db_session.commit()


def test_the_scheduler_logs_each_job_it_queues(app, redis_conn, caplog):
    from scheduler import make_scheduler

    caplog.set_level(logging.INFO, logger="renkei.schedule")
    scheduler = make_scheduler(redis_conn)
    names = sorted(entry.name for entry in scheduler.get_jobs())
    assert names == [
        "renkei-billing",
        "renkei-customer-sync",
        "renkei-order-closing",
        "renkei-reminders",
        "renkei-status-pull",
        "renkei-sync-watchdog",
    ]
    watchdog = next(e for e in scheduler.get_jobs() if e.name == "renkei-sync-watchdog")
    watchdog.next_enqueue_time = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    assert scheduler.enqueue_jobs() == [watchdog]
    (line,) = [r.getMessage() for r in caplog.records if r.name == "renkei.schedule"]
    assert line.startswith("schedule.enqueue name=renkei-sync-watchdog job=end_stale_runs_job")
    rq_id = re.search(r"rq_id=(\S+)", line).group(1)
    from rq.job import Job

    assert Job.fetch(rq_id, connection=redis_conn).func_name.endswith("end_stale_runs_job")
    assert "user=system" in line and "duration_ms=" in line
    with app.app_context():
        db.session.remove()
