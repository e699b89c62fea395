"""A sync run always ends: an unexpected exception fails it with words and a Retry; a
worker killed mid-run (SIGKILL) leaves a run that the heartbeat check marks unknown, and
its Retry finds the invoice the provider made instead of creating a second one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.models.crm import Deal
from app.models.sync import ExternalDocument, SyncFailure, SyncRun
from app.services.sync import request_invoice, retry_failure, runs
from app.services.sync.adapters import ADAPTERS
from app.services.sync.adapters.moneyforward import MoneyForwardAdapter
from tests.conftest import REDIS_URL, TEST_ENCRYPTION_KEY, TEST_SECRET
from tests.sync.conftest import user

ROOT = Path(__file__).resolve().parents[2]


class ExplodingAdapter(MoneyForwardAdapter):
    """Money Forward's adapter, but our own code breaks right after the provider created
    the invoice (as a bug in parsing its answer would): not a ProviderError."""

    def create_invoice(self, *args, **kwargs):
        super().create_invoice(*args, **kwargs)
        raise LookupError("no 'billing' in the answer")


def _wait_for(predicate, seconds: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _fresh(db_session, model, pk):
    db_session.expire_all()
    return db_session.get(model, pk)


def test_unexpected_exception_fails_the_run_with_a_retry(
    app, db_session, mf, jpy_deal, sandbox, run_jobs, monkeypatch
):
    monkeypatch.setitem(ADAPTERS, "moneyforward", ExplodingAdapter)
    document, run = request_invoice(jpy_deal, mf, user(app))
    run_jobs()
    run = _fresh(db_session, SyncRun, run.id)
    assert run.status == "failed", run.status
    assert "LookupError" in run.message and run.finished_at is not None
    failure = db_session.query(SyncFailure).filter_by(run_id=run.id).one()
    assert failure.document_id == document.id
    document = db_session.get(ExternalDocument, document.id)
    assert document.billing_status == "failed" and document.external_id is None
    assert db_session.get(Deal, jpy_deal.id).billing_status == "failed"
    assert len(sandbox.invoices()) == 1  # the provider did make it
    monkeypatch.setitem(ADAPTERS, "moneyforward", MoneyForwardAdapter)  # the bug is fixed
    again, new_run = request_invoice(jpy_deal, mf, user(app))  # not the stuck run
    assert again.id == document.id and new_run.id != run.id
    run_jobs()
    new_run = _fresh(db_session, SyncRun, new_run.id)
    assert new_run.status == "finished", new_run.message
    assert db_session.get(ExternalDocument, document.id).external_id == sandbox.invoices()[0]["id"]
    assert len(sandbox.invoices()) == 1
    assert len(sandbox.requests_to("/invoice_template_billings", "POST")) == 1


@pytest.fixture()
def short_heartbeat(app):
    saved = {k: app.config[k] for k in ("SYNC_HEARTBEAT_SECONDS", "SYNC_HEARTBEAT_STALE_MINUTES")}
    app.config.update(SYNC_HEARTBEAT_SECONDS=0.5, SYNC_HEARTBEAT_STALE_MINUTES=0.05)  # 3 s
    yield app.config
    app.config.update(saved)


def _worker(pg_url):
    """A real RQ worker process (worker.py) on the tests' database and Redis, beating
    every half second."""
    env = {
        **os.environ,
        "RENKEI_ENV": "test",
        "SECRET_KEY": TEST_SECRET,
        "RENKEI_ENCRYPTION_KEY": TEST_ENCRYPTION_KEY,
        "DATABASE_URL": pg_url,
        "REDIS_URL": REDIS_URL,
        "RENKEI_SYNC_HEARTBEAT_SECONDS": "0.5",
        "OAUTHLIB_INSECURE_TRANSPORT": "1",
    }
    return subprocess.Popen(
        [sys.executable, "worker.py", "default"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _descendants(pid: int) -> list[int]:
    """``pid``'s children, grandchildren … (RQ's work horse runs in its own session)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        todo += children
    return found


def _kill(worker) -> None:
    """SIGKILL the worker and its work horse at once, as an OOM killer or a lost VM would."""
    for pid in [*_descendants(worker.pid), worker.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    worker.wait(10)


def test_worker_killed_mid_run_is_found_and_retry_creates_once(
    app, db_session, pg_url, mf, jpy_deal, sandbox, run_jobs, short_heartbeat
):
    # The provider takes 12 s to answer the create: the worker is killed meanwhile.
    sandbox.fault(kind="slow", delay=12, path="/invoice_template_billings$", method="POST")
    document, run = request_invoice(jpy_deal, mf, user(app))
    worker = _worker(pg_url)
    try:
        _wait_for(
            lambda: sandbox.requests_to("/invoice_template_billings", "POST"),
            60,
            "the create to reach the provider",
        )
        time.sleep(4)  # longer than the stale limit: only the heartbeat keeps it alive
        assert runs.end_stale_runs() == 0
        assert _fresh(db_session, SyncRun, run.id).status == "running"
        assert _descendants(worker.pid), "no work horse"
    finally:
        _kill(worker)
    time.sleep(4)  # no heartbeat any more
    # the next request finds it (as the watchdog would)
    other = request_invoice(jpy_deal, mf, user(app))
    run = _fresh(db_session, SyncRun, run.id)
    assert run.status == "unknown", run.status
    assert "Unknown" in run.message or "不明" in run.message
    failure = db_session.query(SyncFailure).filter_by(run_id=run.id).one()
    assert failure.document_id == document.id
    assert other[0].id == document.id  # the same document, looked up before creating
    _wait_for(lambda: len(sandbox.invoices()) == 1, 30, "the provider to finish")
    run_jobs()
    retried = _fresh(db_session, SyncRun, other[1].id)
    assert retried.status == "finished", retried.message
    assert _fresh(db_session, ExternalDocument, document.id).external_id
    assert len(sandbox.invoices()) == 1
    assert len(sandbox.requests_to("/invoice_template_billings", "POST")) == 1


def test_retry_of_an_unknown_run_creates_once(
    app, db_session, pg_url, mf, jpy_deal, sandbox, run_jobs, short_heartbeat
):
    """The same, through the failure's Retry (Sync history), after the watchdog job."""
    from app.jobs.sync import end_stale_runs_job

    sandbox.fault(kind="slow", delay=8, path="/invoice_template_billings$", method="POST")
    document, run = request_invoice(jpy_deal, mf, user(app))
    worker = _worker(pg_url)
    try:
        _wait_for(lambda: sandbox.requests_to("/invoice_template_billings", "POST"), 60)
        assert _descendants(worker.pid), "no work horse"
    finally:
        _kill(worker)
    time.sleep(4)
    assert end_stale_runs_job() == 1
    failure = db_session.query(SyncFailure).filter_by(run_id=run.id).one()
    _wait_for(lambda: len(sandbox.invoices()) == 1, 30, "the provider to finish")
    retry = retry_failure(failure, user(app))
    run_jobs()
    retry = _fresh(db_session, SyncRun, retry.id)
    assert retry.status == "finished", retry.message
    assert _fresh(db_session, ExternalDocument, document.id).external_id
    assert len(sandbox.invoices()) == 1
    assert len(sandbox.requests_to("/invoice_template_billings", "POST")) == 1


def _age(db_session, run_id: int, minutes: float = 10) -> None:
    from datetime import timedelta

    from app.models.crm import utcnow

    db_session.query(SyncRun).filter_by(id=run_id).update(
        {"queued_at": utcnow() - timedelta(minutes=minutes)}
    )
    db_session.commit()


def test_queued_run_whose_job_was_lost_ends_and_frees_the_deal(
    app, db_session, mf, jpy_deal, sandbox, redis_conn, run_jobs
):
    document, run = request_invoice(jpy_deal, mf, user(app))
    _age(db_session, run.id)
    assert runs.end_stale_runs() == 0  # still in the queue: it will run
    redis_conn.flushdb()  # the queue lost it (Redis restarted without its data)
    again = request_invoice(jpy_deal, mf, user(app))  # the next request finds it
    lost = _fresh(db_session, SyncRun, run.id)
    assert lost.status == "failed"
    assert "lost" in lost.message.lower() or "失われ" in lost.message
    assert db_session.query(SyncFailure).filter_by(run_id=run.id).one().document_id == document.id
    assert again[0].id == document.id and again[1].id != run.id
    run_jobs()
    assert _fresh(db_session, SyncRun, again[1].id).status == "finished"
    assert len(sandbox.invoices()) == 1


def test_in_process_job_lost_with_its_process(app, db_session, mf, jpy_deal):
    """The demo (no Redis) keeps jobs in its own process: after a restart a queued run's
    job is gone, and the run ends instead of blocking the deal."""
    run = SyncRun(
        kind="refresh_statuses", job_id="from-a-previous-process", deal_ids=f"[{jpy_deal.id}]"
    )
    db_session.add(run)
    db_session.commit()
    _age(db_session, run.id)
    saved = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = ""
    try:
        assert runs.end_stale_runs() == 1
    finally:
        app.config["REDIS_URL"] = saved
    run = _fresh(db_session, SyncRun, run.id)
    assert run.status == "failed" and run.failures[0].deal_id == jpy_deal.id
