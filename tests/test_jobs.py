"""Jobs: through RQ to a real worker against Redis, and in-process in the demo."""

import subprocess
import sys
from pathlib import Path

from rq import Queue, SimpleWorker
from rq.job import Job, JobStatus

from app.jobs.queue import set_worker_app
from app.models.crm import DealType
from tests.jobs_for_tests import add_deal_type

ROOT = Path(__file__).resolve().parent.parent


def test_job_runs_on_a_real_rq_worker(app, db_session, redis_conn):
    handle = add_deal_type.enqueue("via-rq")
    assert not handle.in_process
    set_worker_app(app)
    queue = Queue("renkei-test", connection=redis_conn)
    assert queue.count == 1
    SimpleWorker([queue], connection=redis_conn).work(burst=True)
    job = Job.fetch(handle.id, connection=redis_conn)
    assert job.get_status() == JobStatus.FINISHED
    db_session.expire_all()
    assert db_session.query(DealType).filter_by(code="via-rq").one().id == job.return_value()


def test_failed_job_is_kept_with_its_error(app, db_session, redis_conn):
    add_deal_type("dup")  # direct call runs inline
    handle = add_deal_type.enqueue("dup")
    set_worker_app(app)
    queue = Queue("renkei-test", connection=redis_conn)
    SimpleWorker([queue], connection=redis_conn).work(burst=True)
    job = Job.fetch(handle.id, connection=redis_conn)
    assert job.get_status() == JobStatus.FAILED
    assert "IntegrityError" in job.latest_result().exc_string


def test_worker_script_processes_the_queue(app, pg_url, db_session, redis_conn):
    from tests.conftest import REDIS_URL, TEST_ENCRYPTION_KEY, TEST_SECRET

    handle = add_deal_type.enqueue("via-worker-script")
    env = {
        "RENKEI_ENV": "test",
        "DATABASE_URL": pg_url,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": TEST_SECRET,
        "RENKEI_ENCRYPTION_KEY": TEST_ENCRYPTION_KEY,
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "worker.py", "renkei-test", "--burst"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert Job.fetch(handle.id, connection=redis_conn).get_status() == JobStatus.FINISHED
    db_session.expire_all()
    assert db_session.query(DealType).filter_by(code="via-worker-script").count() == 1


def test_without_redis_jobs_run_in_process(app, db_session):
    app.config["REDIS_URL"] = ""
    try:
        handle = add_deal_type.enqueue("in-process")
        assert handle.in_process
        new_id = handle.future.result(timeout=30)
    finally:
        from tests.conftest import REDIS_URL

        app.config["REDIS_URL"] = REDIS_URL
    db_session.expire_all()
    assert db_session.get(DealType, new_id).code == "in-process"
