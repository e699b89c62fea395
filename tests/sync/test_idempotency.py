"""Creating an invoice never makes a duplicate: double click, retried job, killed worker."""

from __future__ import annotations

import pytest

from app.jobs.sync import create_invoice_job
from app.models.sync import ExternalDocument, SyncRun
from app.services.sync import create as create_module
from app.services.sync import request_invoice, retry_failure
from tests.sync.conftest import user


def test_double_click_queues_one_invoice(app, db_session, mf, jpy_deal, sandbox, run_jobs):
    first = request_invoice(jpy_deal, mf, user(app))
    second = request_invoice(jpy_deal, mf, user(app))
    assert first[0].id == second[0].id and first[1].id == second[1].id
    run_jobs()
    assert len(sandbox.billings()) == 1
    assert db_session.query(ExternalDocument).count() == 1


def test_job_run_again_after_success_changes_nothing(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    document, run = request_invoice(jpy_deal, mf, user(app))
    run_jobs()
    create_invoice_job.enqueue(run.id, document.id)  # as an RQ retry would
    run_jobs()
    assert len(sandbox.billings()) == 1
    assert len(sandbox.requests_to("/invoice_template_billings", "POST")) == 1


def test_worker_killed_after_the_provider_answered_makes_no_second_invoice(
    app, db_session, mf, jpy_deal, sandbox, run_jobs, monkeypatch
):
    real_save = create_module.save_document
    calls = {"n": 0}

    def dies_once(document, billing):
        calls["n"] += 1
        if calls["n"] == 1:
            raise SystemError("worker killed before saving")
        real_save(document, billing)

    monkeypatch.setattr(create_module, "save_document", dies_once)
    document, run = request_invoice(jpy_deal, mf, user(app))
    run_jobs()  # the provider created the billing; we lost its answer
    db_session.expire_all()
    assert db_session.get(ExternalDocument, document.id).external_id is None
    assert len(sandbox.billings()) == 1
    create_invoice_job.enqueue(run.id, document.id)  # the job runs again
    run_jobs()
    db_session.expire_all()
    saved = db_session.get(ExternalDocument, document.id)
    assert saved.external_id == sandbox.billings()[0]["id"]
    assert len(sandbox.billings()) == 1
    assert len(sandbox.requests_to("/invoice_template_billings", "POST")) == 1


def test_retry_of_a_failure_creates_once(app, db_session, mf, sample, jpy_deal, sandbox, run_jobs):
    sample["acme"].phone = "call reception"
    db_session.commit()
    document, run = request_invoice(jpy_deal, mf, user(app))
    run_jobs()
    db_session.expire_all()
    failure = db_session.get(SyncRun, run.id).failures[0]
    company = db_session.merge(sample["acme"])
    company.phone = "03-1234-5678"
    db_session.commit()
    retry = retry_failure(failure, user(app))
    assert failure.retried_run_id == retry.id
    run_jobs()
    db_session.expire_all()
    assert db_session.get(ExternalDocument, document.id).billing_status == "draft"
    assert db_session.get(SyncRun, retry.id).status == "finished"
    assert len(sandbox.billings()) == 1


@pytest.fixture()
def accounting_may_create(app, db_session):
    sm = app.appbuilder.sm
    role = sm.find_role("Accounting")
    grant = sm.find_permission_view_menu("can_create_at_provider", "ProviderDocument")
    added = grant not in role.permissions
    if added:
        role.permissions.append(grant)
        db_session.commit()
    yield role, grant
    if grant in role.permissions and added:
        role.permissions.remove(grant)
        db_session.commit()


def test_permission_lost_before_the_job_runs_sends_nothing(
    app, db_session, mf, jpy_deal, sandbox, run_jobs, accounting_may_create
):
    role, grant = accounting_may_create
    document, run = request_invoice(jpy_deal, mf, user(app, "accounting"))
    role.permissions.remove(grant)  # an administrator narrows the profile meanwhile
    db_session.commit()
    run_jobs()
    db_session.expire_all()
    run = db_session.get(SyncRun, run.id)
    assert run.status == "failed" and run.failures
    assert db_session.get(ExternalDocument, document.id).billing_status == "failed"
    assert sandbox.billings() == []
    assert sandbox.requests_to("/partners", "POST") == []
