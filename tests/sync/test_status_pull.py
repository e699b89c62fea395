"""Statuses flow back: per deal, for every deal in a few calls, deletions flagged."""

from __future__ import annotations

import datetime as dt

from app.models.connection import Connection
from app.models.crm import Deal
from app.models.sync import ExternalDocument, SyncRun
from app.services.sync import request_invoice, request_status_refresh, run_progress
from tests.sync.conftest import user


def _invoiced(app, db_session, mf, deal, run_jobs) -> ExternalDocument:
    document, _run = request_invoice(deal, mf, user(app))
    run_jobs()
    db_session.expire_all()
    return db_session.get(ExternalDocument, document.id)


def test_paid_at_the_provider_shows_paid_on_the_deal(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    document = _invoiced(app, db_session, mf, jpy_deal, run_jobs)
    sandbox.set_status(document.external_id, "paid")
    run = request_status_refresh(user(app), [jpy_deal.id])
    run_jobs()
    db_session.expire_all()
    run = db_session.get(SyncRun, run.id)
    assert run.status == "finished" and run.updated == 1 and run.api_calls >= 1
    assert run_progress(run)["done"] == 1
    assert db_session.get(ExternalDocument, document.id).payment_status == "入金済み"
    assert db_session.get(Deal, jpy_deal.id).billing_status == "paid"


def test_whole_pull_asks_for_changes_page_by_page_not_per_invoice(
    app, db_session, mf, jpy_deal, sample, sandbox, run_jobs
):
    document = _invoiced(app, db_session, mf, jpy_deal, run_jobs)
    sandbox.set_status(document.external_id, "unpaid")
    before = len(sandbox.requests_to("/billings"))
    run = request_status_refresh(user(app))  # every deal
    run_jobs()
    db_session.expire_all()
    run = db_session.get(SyncRun, run.id)
    assert run.status == "finished" and run.updated == 1
    assert db_session.get(Deal, jpy_deal.id).billing_status == "unpaid"
    calls = sandbox.requests_to("/billings")[before:]
    assert calls and all("range_key=updated_at" in (c["query"] or "") for c in calls)
    assert not [c for c in calls if c["path"].endswith(document.external_id)]
    assert run.api_calls <= 3
    connection = db_session.get(Connection, mf.id)
    assert connection.statuses_pulled_until is not None
    assert connection.statuses_pulled_until <= dt.datetime.now(dt.UTC).replace(tzinfo=None)


def test_document_deleted_at_provider_stays_flagged(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    document = _invoiced(app, db_session, mf, jpy_deal, run_jobs)
    sandbox.delete(document.external_id)
    request_status_refresh(user(app), [jpy_deal.id])
    run_jobs()
    db_session.expire_all()
    kept = db_session.get(ExternalDocument, document.id)
    assert kept.deleted_at_provider and kept.billing_status == "deleted"
    assert db_session.get(Deal, jpy_deal.id).billing_status == "deleted"


def test_refresh_survives_a_provider_hiccup(app, db_session, mf, jpy_deal, sandbox, run_jobs):
    document = _invoiced(app, db_session, mf, jpy_deal, run_jobs)
    sandbox.set_status(document.external_id, "paid")
    sandbox.fault(kind="500", count=1, path="/billings/")
    sandbox.fault(kind="429", count=1, path="/billings/", retry_after=1)
    request_status_refresh(user(app), [jpy_deal.id])
    run_jobs()
    db_session.expire_all()
    assert db_session.get(Deal, jpy_deal.id).billing_status == "paid"
