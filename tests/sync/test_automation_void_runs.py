"""Stage automation's void at a provider (issue 13) is a run of the sync history: a lost
deal's invoice voided at a sandbox is a finished ``void_at_provider`` run; a sandbox
answering 500 makes a failed run with its error and a Retry, which — once the sandbox is
healthy — voids the invoice there once (N presses: one run, one void call)."""

from __future__ import annotations

import pytest
import requests
from flask_babel import force_locale, gettext

from app.models.audit import AuditEntry
from app.models.automation import AutomationEvent
from app.models.documents import Document
from app.models.sync import ExternalDocument, SyncFailure, SyncRun
from tests.conftest import csrf_token, login
from tests.sync import test_automation
from tests.sync.test_automation import _put_stage, _won_and_issued
from tests.sync.test_races import N, _together


@pytest.fixture()
def deal(db_session, sample, run_jobs):
    """The deal of tests/sync/test_automation.py (a JPY deal at proposal)."""
    yield from test_automation.deal._get_wrapped_function()(db_session, sample, run_jobs)


VOID_PATHS = {"zoho": "/status/void$", "freee": "/cancel$"}


def _void_calls(box, provider, ok_only=True):
    fragment = "/status/void" if provider == "zoho" else "/cancel"
    calls = box.requests_to(fragment)
    if ok_only:
        calls = [c for c in calls if c.get("status") and int(c["status"]) < 400]
    return calls


def _void_runs(session):
    session.expire_all()
    return session.query(SyncRun).filter_by(kind="void_at_provider").order_by(SyncRun.id).all()


@pytest.mark.parametrize("at", ["zoho", "freee"], indirect=True)
def test_a_lost_deal_voided_at_the_provider_is_a_finished_run_in_the_sync_history(
    db_session, client, api_token, deal, at, run_jobs
):
    invoice, link = _won_and_issued(db_session, client, api_token, deal, at, run_jobs)
    _put_stage(client, api_token, deal, "lost")
    run_jobs()
    (run,) = _void_runs(db_session)
    assert run.status == "finished", run.message
    assert run.connection_id == at.connection.id and run.document_id == link.id
    assert run.started_by_id is None and run.api_calls >= 1 and run.updated == 1
    assert db_session.get(ExternalDocument, link.id).billing_status == "void"
    assert len(_void_calls(at.box, at.provider)) == 1
    login(client)
    with force_locale("en"):
        label = gettext("Void at provider")
    page = client.get("/sync/history/list/?_l_=en").get_data(as_text=True)
    assert label in page
    page = client.get("/sync/history/list/?_l_=ja_JP").get_data(as_text=True)
    with force_locale("ja_JP"):
        assert gettext("Void at provider") in page


@pytest.mark.parametrize("at", ["zoho", "freee"], indirect=True)
def test_a_sandbox_answering_500_is_a_failed_run_whose_retry_voids_once(
    db_session, client, api_token, deal, at, live_server, run_jobs
):
    invoice, link = _won_and_issued(db_session, client, api_token, deal, at, run_jobs)
    at.box.fault(kind="500", count=100, path=VOID_PATHS[at.provider])
    _put_stage(client, api_token, deal, "lost")
    run_jobs()
    (failed_run,) = _void_runs(db_session)
    assert failed_run.status == "failed" and failed_run.failed == 1
    (failure,) = db_session.query(SyncFailure).filter_by(run_id=failed_run.id).all()
    assert invoice.number in failure.message and failure.deal_id == deal.id
    assert db_session.get(Document, invoice.id).state == "sent"
    assert _void_calls(at.box, at.provider) == []
    trail = db_session.query(AuditEntry).filter_by(document_id=invoice.id, action="automation")
    assert any(invoice.number in (e.note or "") for e in trail)

    login(client)
    page = client.get(f"/sync/history/show/{failed_run.id}?_l_=en").get_data(as_text=True)
    assert invoice.number in page and "btn-retry" in page
    listing = client.get("/sync/history/list/?_l_=en").get_data(as_text=True)
    assert gettext("Failed") in listing

    requests.delete(f"{at.box.base}/faults", timeout=10).raise_for_status()
    codes = _together(live_server.url, f"/sync/history/retry/{failure.id}")
    assert codes == [302] * N, codes
    runs = _void_runs(db_session)
    assert len(runs) == 2, [(r.id, r.status, r.message) for r in runs]
    retried = runs[1]
    assert retried.status == "finished", retried.message
    assert db_session.get(SyncFailure, failure.id).retried_run_id == retried.id
    assert db_session.get(Document, invoice.id).state == "void"
    assert db_session.get(ExternalDocument, link.id).billing_status == "void"
    assert len(_void_calls(at.box, at.provider)) == 1
    (remote,) = [d for d in at.box.invoices() if str(d["id"]) == link.external_id]
    assert remote["status"].startswith(("void", "canceled")), remote
    outcomes = [
        e.outcome
        for e in db_session.query(AutomationEvent)
        .filter_by(deal_id=deal.id, stage="lost")
        .order_by(AutomationEvent.id)
    ]
    assert outcomes == ["failed", "voided"]
    actions = {e.action for e in db_session.query(AuditEntry).filter_by(document_id=invoice.id)}
    assert "voided_at_provider" in actions
    # pressed again later: the same run, no second call
    token = csrf_token(client, f"/dealview/show/{deal.id}")
    client.post(f"/sync/history/retry/{failure.id}", data={"csrf_token": token})
    assert len(_void_runs(db_session)) == 2
    assert len(_void_calls(at.box, at.provider)) == 1


@pytest.mark.parametrize("at", ["zoho"], indirect=True)
def test_a_provider_that_cannot_be_asked_whether_sent_is_a_failed_void_run_too(
    db_session, client, api_token, deal, at, run_jobs
):
    invoice, link = _won_and_issued(db_session, client, api_token, deal, at, run_jobs)
    at.box.fault(kind="500", count=100, path=r"/invoices/\d+$", method="GET")
    _put_stage(client, api_token, deal, "lost")
    run_jobs()
    (failed_run,) = _void_runs(db_session)
    assert failed_run.status == "failed" and at.connection.name in failed_run.message
    (failure,) = db_session.query(SyncFailure).filter_by(run_id=failed_run.id).all()
    requests.delete(f"{at.box.base}/faults", timeout=10).raise_for_status()
    login(client)
    token = csrf_token(client, f"/sync/history/show/{failed_run.id}")
    answer = client.post(f"/sync/history/retry/{failure.id}", data={"csrf_token": token})
    assert answer.status_code == 302
    runs = _void_runs(db_session)
    assert [r.status for r in runs] == ["failed", "finished"], [r.message for r in runs]
    assert db_session.get(Document, invoice.id).state == "void"
    assert len(_void_calls(at.box, at.provider)) == 1
