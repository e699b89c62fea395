"""A job started by a user runs with that user's rights, checked when it runs."""

from rq import Queue, SimpleWorker
from rq.job import Job, JobStatus

from app.jobs.queue import set_worker_app
from app.models.crm import DealType
from tests.jobs_for_tests import add_deal_type_as


def _run_queue(app, redis_conn):
    set_worker_app(app)
    SimpleWorker([Queue("renkei-test", connection=redis_conn)], connection=redis_conn).work(
        burst=True
    )


def _user_id(app, username):
    return app.appbuilder.sm.find_user(username=username).id


def test_allowed_user_job_runs(app, db_session, redis_conn):
    handle = add_deal_type_as.enqueue("by-admin", as_user=_user_id(app, "admin"))
    _run_queue(app, redis_conn)
    assert Job.fetch(handle.id, connection=redis_conn).get_status() == JobStatus.FINISHED
    db_session.expire_all()
    assert db_session.query(DealType).filter_by(code="by-admin").one().name.startswith("by user")


def test_job_of_a_user_without_the_right_fails_and_writes_nothing(app, db_session, redis_conn):
    handle = add_deal_type_as.enqueue("by-sales", as_user=_user_id(app, "sales"))
    _run_queue(app, redis_conn)
    job = Job.fetch(handle.id, connection=redis_conn)
    assert job.get_status() == JobStatus.FAILED
    assert "may no longer do it" in job.latest_result().exc_string
    assert db_session.query(DealType).filter_by(code="by-sales").count() == 0


def test_right_removed_after_queueing_is_checked_at_run_time(app, db_session, redis_conn):
    sm = app.appbuilder.sm
    accounting = sm.find_role("Accounting")
    grant = sm.find_permission_view_menu("can_write", "DealType")
    accounting.permissions.append(grant)
    db_session.commit()
    try:
        handle = add_deal_type_as.enqueue(
            "queued-while-allowed", as_user=_user_id(app, "accounting")
        )
        accounting.permissions.remove(grant)  # an administrator narrows the profile
        db_session.commit()
        _run_queue(app, redis_conn)
        assert Job.fetch(handle.id, connection=redis_conn).get_status() == JobStatus.FAILED
        assert db_session.query(DealType).filter_by(code="queued-while-allowed").count() == 0
    finally:
        if grant in accounting.permissions:
            accounting.permissions.remove(grant)
            db_session.commit()


def test_job_without_a_user_is_refused(app, db_session, redis_conn):
    handle = add_deal_type_as.enqueue("nobody")
    _run_queue(app, redis_conn)
    assert Job.fetch(handle.id, connection=redis_conn).get_status() == JobStatus.FAILED
