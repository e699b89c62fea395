"""Every provider through the same engine: invoice with lines and customer, idempotent
creation, status pulls page by page, deletions kept — real RQ worker, sandboxes over HTTP."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.jobs.sync import create_invoice_job
from app.models.connection import Connection
from app.models.crm import Deal
from app.models.sync import ExternalDocument, PartnerLink, SyncRun
from app.services.errors import InvalidInput
from app.services.sync import create as create_module
from app.services.sync import request_invoice, request_status_refresh
from app.services.sync.clients import client_for
from app.services.sync.clock import business_today
from tests.sync.conftest import user


def _line_names(case, external_id: str) -> list[str]:
    """The line names of an invoice as the provider's API returns it."""
    client, _session = client_for(case.connection)
    if case.provider == "moneyforward":
        return [i["name"] for i in client.get_billing(external_id)["items"]]
    if case.provider == "zoho":
        return [i["name"] for i in client.get_invoice(external_id)["line_items"]]
    return [i["description"] for i in client.get_invoice(int(external_id))["lines"]]


def _invoiced(app, db_session, case, deal, run_jobs) -> ExternalDocument:
    # Each call bills the deal again: confirmed, as a person would after the warning.
    document, _run = request_invoice(deal, case.connection, user(app), confirm=2**31)
    run_jobs()
    db_session.expire_all()
    return db_session.get(ExternalDocument, document.id)


def test_deal_lines_become_the_invoice_and_the_customer_is_created(
    app, db_session, at, sample, run_jobs
):
    deal = sample["with_lines"]
    document, run = request_invoice(deal, at.connection, user(app))
    run_jobs()
    db_session.expire_all()
    document = db_session.get(ExternalDocument, document.id)
    run = db_session.get(SyncRun, run.id)
    assert run.status == "finished" and run.created == 1, run.message
    assert document.external_id and document.number
    assert document.issue_date == business_today()
    assert document.due_date == business_today() + dt.timedelta(days=30)
    # 300,000 + 10 % = 330,000; 20 × 972 (1,080 less 10 %) = 19,440 + 8 % = 20,995
    assert document.total == Decimal("350995")
    (invoice,) = at.box.invoices()
    assert Decimal(str(invoice["amount"])) == Decimal("350995")
    assert invoice["partner"] == "株式会社さくら商事"
    assert _line_names(at, document.external_id) == ["導入支援", "お弁当 (10% off)"]
    link = db_session.query(PartnerLink).one()
    assert link.company_id == sample["sakura"].id and link.external_id
    assert len(at.posts("customer")) == 1 and len(at.posts("invoice")) == 1
    # Before creating, our reference was looked for among this customer's invoices only.
    lookup = at.box.requests_to(at.paths["listing"], "GET")[0]
    assert at.paths["lookup_param"] in lookup["query"]


def test_customer_is_created_once_then_updated_when_changed(
    app, db_session, at, sample, jpy_deal, run_jobs
):
    _invoiced(app, db_session, at, jpy_deal, run_jobs)
    _invoiced(app, db_session, at, jpy_deal, run_jobs)  # unchanged company: no update
    assert len(at.posts("customer")) == 1
    assert at.box.requests_to(at.paths["customer_put"], "PUT") == []
    acme = db_session.merge(sample["acme"])
    acme.name = "Acme Trading K.K."
    db_session.commit()
    _invoiced(app, db_session, at, jpy_deal, run_jobs)
    assert len(at.posts("customer")) == 1
    assert at.box.requests_to(at.paths["customer_put"], "PUT")
    assert "Acme Trading K.K." in {i["partner"] for i in at.box.invoices()}
    assert db_session.query(PartnerLink).count() == 1
    assert len(at.box.invoices()) == 3


def test_only_the_connections_deal_types_are_sent(app, db_session, at, sample, jpy_deal):
    at.connection.deal_types = [sample["standard"]]
    db_session.commit()
    with pytest.raises(InvalidInput) as refused:
        request_invoice(jpy_deal, at.connection, user(app))
    assert refused.value.field == "deal_type"
    assert db_session.query(ExternalDocument).count() == 0


def test_double_click_and_a_rerun_job_make_one_invoice(app, db_session, at, jpy_deal, run_jobs):
    first = request_invoice(jpy_deal, at.connection, user(app))
    second = request_invoice(jpy_deal, at.connection, user(app))
    assert first[0].id == second[0].id
    run_jobs()
    create_invoice_job.enqueue(first[1].id, first[0].id)  # as an RQ retry would
    run_jobs()
    assert len(at.box.invoices()) == 1 and len(at.posts("invoice")) == 1
    assert db_session.query(ExternalDocument).count() == 1


def test_worker_killed_after_the_provider_answered_makes_no_second_invoice(
    app, db_session, at, jpy_deal, run_jobs, monkeypatch
):
    real_save = create_module.save_document
    calls = {"n": 0}

    def dies_once(document, remote):
        calls["n"] += 1
        if calls["n"] == 1:
            raise SystemError("worker killed before saving")
        real_save(document, remote)

    monkeypatch.setattr(create_module, "save_document", dies_once)
    document, run = request_invoice(jpy_deal, at.connection, user(app))
    run_jobs()  # the provider created the invoice; we lost its answer
    db_session.expire_all()
    assert db_session.get(ExternalDocument, document.id).external_id is None
    assert len(at.box.invoices()) == 1
    create_invoice_job.enqueue(run.id, document.id)  # the job runs again
    run_jobs()
    db_session.expire_all()
    saved = db_session.get(ExternalDocument, document.id)
    assert saved.external_id == str(at.box.invoices()[0]["id"])
    assert len(at.box.invoices()) == 1 and len(at.posts("invoice")) == 1


def test_paid_at_the_provider_shows_paid_on_the_deal(app, db_session, at, jpy_deal, run_jobs):
    document = _invoiced(app, db_session, at, jpy_deal, run_jobs)
    assert document.billing_status in ("draft", "unpaid")
    at.box.set_status(document.external_id, "paid")
    run = request_status_refresh(user(app), [jpy_deal.id])
    run_jobs()
    db_session.expire_all()
    run = db_session.get(SyncRun, run.id)
    assert run.status == "finished" and run.updated == 1
    assert db_session.get(ExternalDocument, document.id).billing_status == "paid"
    assert db_session.get(Deal, jpy_deal.id).billing_status == "paid"


def test_whole_pull_asks_for_changes_page_by_page_not_per_invoice(
    app, db_session, at, jpy_deal, sample, run_jobs
):
    documents = [_invoiced(app, db_session, at, jpy_deal, run_jobs) for _ in range(3)]
    _invoiced(app, db_session, at, sample["with_lines"], run_jobs)
    at.box.set_status(documents[0].external_id, "paid")
    before = len(at.box.requests_to(""))
    run = request_status_refresh(user(app))  # every deal
    run_jobs()
    db_session.expire_all()
    run = db_session.get(SyncRun, run.id)
    assert run.status == "finished" and run.updated == 1 and run.total == 4
    assert db_session.get(ExternalDocument, documents[0].id).billing_status == "paid"
    calls = at.box.requests_to("")[before:]
    assert calls and all(at.paths["listing"] in c["path"] for c in calls)
    assert all(at.paths["since_param"] in (c["query"] or "") for c in calls)
    assert run.api_calls == len(calls) <= 3
    assert db_session.get(Connection, at.connection.id).statuses_pulled_until is not None


def test_document_deleted_at_provider_stays_flagged(app, db_session, at, jpy_deal, run_jobs):
    document = _invoiced(app, db_session, at, jpy_deal, run_jobs)
    at.box.delete(document.external_id)
    request_status_refresh(user(app), [jpy_deal.id])
    run_jobs()
    db_session.expire_all()
    kept = db_session.get(ExternalDocument, document.id)
    assert kept.deleted_at_provider and kept.billing_status == "deleted"
    assert kept.number and kept.total  # what we knew of it stays
    assert db_session.get(Deal, jpy_deal.id).billing_status == "deleted"


@pytest.mark.parametrize("at", ["freee"], indirect=True)
def test_freee_whole_pull_lists_only_paid_and_cancelled_invoices(
    app, db_session, at, sample, run_jobs
):
    # freee cannot filter on change time; an open invoice there changes only by being
    # paid or cancelled, so the pull lists those two, billed since our oldest open one.
    deals = [
        Deal(title=t, company=sample["acme"], stage="won", currency="JPY", amount=Decimal(1000))
        for t in ("paid", "cancelled", "open")
    ]
    db_session.add_all(deals)
    db_session.commit()
    paid, cancelled, still = (_invoiced(app, db_session, at, d, run_jobs) for d in deals)
    at.box.set_status(paid.external_id, "paid")
    at.box.set_status(cancelled.external_id, "canceled")
    before = len(at.box.requests_to(""))
    run = request_status_refresh(user(app))
    run_jobs()
    db_session.expire_all()
    calls = at.box.requests_to("")[before:]
    assert [c["method"] for c in calls] == ["GET", "GET"]
    day = f"start_billing_date={business_today().isoformat()}"
    assert all(day in c["query"] for c in calls)
    assert "payment_status=settled" in calls[0]["query"]
    assert "cancel_status=canceled" in calls[1]["query"]
    assert db_session.get(SyncRun, run.id).api_calls == 2
    assert db_session.get(ExternalDocument, paid.id).billing_status == "paid"
    assert db_session.get(ExternalDocument, cancelled.id).billing_status == "void"
    assert db_session.get(ExternalDocument, still.id).billing_status == still.billing_status
