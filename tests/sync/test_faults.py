"""Slow and dropped connections: the job looks again or reports in words, nothing is
half-written, and no invoice is ever made twice (every provider, sandboxes over HTTP)."""

from __future__ import annotations

import time

import pytest
from flask_babel import gettext

from app.models.connection import Connection
from app.models.crm import Deal
from app.models.sync import ExternalDocument, SyncFailure, SyncRun
from app.services.sync import request_invoice, request_status_refresh, retry_failure
from tests.sync.conftest import user


@pytest.fixture()
def short_waits(app):
    """A 1-second read timeout and quick look-ups after an uncertain create."""
    saved = {k: app.config.get(k) for k in ("PROVIDER_TIMEOUTS", "SYNC_RECHECK_DELAYS")}
    app.config.update(PROVIDER_TIMEOUTS=(2.0, 1.0), SYNC_RECHECK_DELAYS=(0.5, 1.0, 2.0))
    yield app.config
    app.config.update(saved)


UNCERTAIN = (
    "%(provider)s did not confirm the invoice (%(reason)s) and it was not found "
    "there afterwards. Retry looks for it again before creating, so it is never "
    "created twice."
)
UNREADABLE = "%(name)s: the statuses could not be read: %(reason)s"


def _worded(msgid: str, **values) -> list[str]:
    """The job's message in the app's language, cut where the provider's reason goes."""
    return gettext(msgid, reason="\x00", **values).split("\x00")


def _says(message: str, msgid: str, reason: str, **values) -> bool:
    return reason in message and all(p in message for p in _worded(msgid, **values))


def _wait_for(predicate, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)


def _provider_name(case) -> str:
    from app.providers.registry import entry

    return entry(case.provider).name


def _state(db_session, document, run):
    db_session.expire_all()
    return db_session.get(ExternalDocument, document.id), db_session.get(SyncRun, run.id)


def test_slow_create_is_found_after_the_timeout_not_sent_again(
    app, db_session, at, jpy_deal, run_jobs, short_waits
):
    # The provider takes 2.5 s; we stop waiting after 1 s and look for it by reference.
    at.box.fault(kind="slow", delay=2.5, path=at.paths["invoice_post"] + "$", method="POST")
    document, run = request_invoice(jpy_deal, at.connection, user(app))
    run_jobs()
    document, run = _state(db_session, document, run)
    assert run.status == "finished", run.message
    assert document.external_id == str(at.box.invoices()[0]["id"])
    assert len(at.box.invoices()) == 1 and len(at.posts("invoice")) == 1
    assert document.billing_status in ("draft", "unpaid")


def test_slow_create_not_yet_visible_is_reported_then_retried_once(
    app, db_session, at, jpy_deal, run_jobs, short_waits
):
    short_waits["SYNC_RECHECK_DELAYS"] = (0.2,)  # give up looking before the provider ends
    at.box.fault(kind="slow", delay=3, path=at.paths["invoice_post"] + "$", method="POST")
    document, run = request_invoice(jpy_deal, at.connection, user(app))
    run_jobs()
    document, run = _state(db_session, document, run)
    assert run.status == "failed"
    assert document.billing_status == "failed" and document.external_id is None
    reason = "did not answer in time"
    assert _says(document.last_error, UNCERTAIN, reason, provider=_provider_name(at))
    _wait_for(lambda: len(at.box.invoices()) == 1)  # the provider finished after all
    failure = db_session.query(SyncFailure).filter_by(document_id=document.id).one()
    retry = retry_failure(failure, user(app))
    run_jobs()
    document, retry = _state(db_session, document, retry)
    assert retry.status == "finished" and document.external_id
    assert len(at.box.invoices()) == 1 and len(at.posts("invoice")) == 1


def test_dropped_create_is_reported_in_words_and_retry_creates_once(
    app, db_session, at, jpy_deal, run_jobs, short_waits
):
    at.box.fault(kind="drop", path=at.paths["invoice_post"] + "$", method="POST")
    document, run = request_invoice(jpy_deal, at.connection, user(app))
    run_jobs()
    document, run = _state(db_session, document, run)
    assert run.status == "failed" and run.failed == 1
    assert document.billing_status == "failed" and document.external_id is None
    assert document.number is None and document.total is None  # nothing half-written
    reason = "connection to the provider was lost"
    assert _says(document.last_error, UNCERTAIN, reason, provider=_provider_name(at))
    assert db_session.get(Deal, jpy_deal.id).billing_status == "failed"
    assert at.box.invoices() == []
    retry = retry_failure(run.failures[0], user(app))
    run_jobs()
    document, retry = _state(db_session, document, retry)
    assert retry.status == "finished" and document.billing_status in ("draft", "unpaid")
    assert len(at.box.invoices()) == 1 and len(at.posts("invoice")) == 2


def test_dropped_customer_create_leaves_no_link_and_retry_finds_one_customer(
    app, db_session, at, jpy_deal, run_jobs, short_waits
):
    at.box.fault(kind="drop", path=at.paths["customer_post"] + "$", method="POST")
    document, run = request_invoice(jpy_deal, at.connection, user(app))
    run_jobs()
    document, run = _state(db_session, document, run)
    assert run.status == "failed" and document.billing_status == "failed"
    assert at.box.invoices() == []
    retry_failure(run.failures[0], user(app))
    run_jobs()
    db_session.expire_all()
    assert db_session.get(ExternalDocument, document.id).external_id
    assert len(at.box.invoices()) == 1


def test_slow_and_dropped_status_reads_are_retried(
    app, db_session, at, jpy_deal, run_jobs, short_waits
):
    document, _run = request_invoice(jpy_deal, at.connection, user(app))
    run_jobs()
    db_session.expire_all()
    document = db_session.get(ExternalDocument, document.id)
    at.box.set_status(document.external_id, "paid")
    at.box.fault(kind="slow", delay=1.5, path=document.external_id, method="GET")
    at.box.fault(kind="drop", path=document.external_id, method="GET")
    run = request_status_refresh(user(app), [jpy_deal.id])
    run_jobs()
    db_session.expire_all()
    assert db_session.get(SyncRun, run.id).status == "finished"
    assert db_session.get(Deal, jpy_deal.id).billing_status == "paid"


def test_pull_that_keeps_dropping_fails_in_words_and_moves_no_mark(
    app, db_session, at, jpy_deal, run_jobs, short_waits
):
    document, _run = request_invoice(jpy_deal, at.connection, user(app))
    run_jobs()
    db_session.expire_all()
    document = db_session.get(ExternalDocument, document.id)
    before = document.billing_status
    at.box.set_status(document.external_id, "paid")
    at.box.fault(kind="drop", count=20, path=at.paths["listing"] + "$", method="GET")
    run = request_status_refresh(user(app))  # the whole pull
    run_jobs()
    db_session.expire_all()
    run = db_session.get(SyncRun, run.id)
    assert run.status == "failed" and run.failed == 1
    reason = "connection to the provider was lost"
    assert _says(run.failures[0].message, UNREADABLE, reason, name=at.connection.name)
    assert db_session.get(ExternalDocument, document.id).billing_status == before
    assert db_session.get(Connection, at.connection.id).statuses_pulled_until is None


def test_retry_after_the_company_changed_finds_the_first_invoice(
    app, db_session, at, sample, jpy_deal, run_jobs, short_waits
):
    # The provider makes the invoice after we stopped waiting; then the deal moves to
    # another company. The retry must look among the first customer's invoices (where
    # it is), not the new company's, or it would create a second one.
    short_waits["SYNC_RECHECK_DELAYS"] = (0.2,)
    at.box.fault(kind="slow", delay=3, path=at.paths["invoice_post"] + "$", method="POST")
    document, run = request_invoice(jpy_deal, at.connection, user(app))
    run_jobs()
    document, run = _state(db_session, document, run)
    assert run.status == "failed" and document.external_id is None
    first_customer = document.customer_external_id
    assert first_customer  # recorded before the create left
    _wait_for(lambda: len(at.box.invoices()) == 1)  # the provider finished after all
    deal = db_session.get(Deal, jpy_deal.id)
    deal.company = db_session.merge(sample["sakura"])
    db_session.commit()
    failure = db_session.query(SyncFailure).filter_by(document_id=document.id).one()
    retry = retry_failure(failure, user(app))
    run_jobs()
    document, retry = _state(db_session, document, retry)
    assert retry.status == "finished", retry.message
    assert document.external_id == str(at.box.invoices()[0]["id"])
    assert document.customer_external_id == first_customer
    assert len(at.box.invoices()) == 1 and len(at.posts("invoice")) == 1


def test_backdated_invoice_whose_create_was_unconfirmed_is_found_not_sent_again(
    app, db_session, at, jpy_deal, run_jobs, short_waits
):
    """An approved invoice dated ten days ago, issued today: the provider bills it on that
    earlier day, and the look-up after an unconfirmed create still finds it."""
    import datetime as dt

    from app.services.documents import approvals
    from app.services.documents.issuing import from_deal
    from app.services.sync import issue
    from app.services.sync.clock import business_today

    invoice = from_deal(jpy_deal, user=user(app))
    invoice.issue_date = invoice.transaction_date = business_today() - dt.timedelta(days=10)
    invoice.due_date = business_today() + dt.timedelta(days=20)
    db_session.commit()
    approvals.submit(invoice, user(app))
    short_waits["SYNC_RECHECK_DELAYS"] = (0.2,)  # give up looking before the provider ends
    at.box.fault(kind="slow", delay=3, path=at.paths["invoice_post"] + "$", method="POST")
    (issued,) = issue(invoice, [at.connection], user(app))
    run_jobs()
    link, run = _state(db_session, issued.link, issued.run)
    assert run.status == "failed" and link.external_id is None
    _wait_for(lambda: len(at.box.invoices()) == 1)  # the provider finished after all
    failure = db_session.query(SyncFailure).filter_by(document_id=link.id).one()
    retry = retry_failure(failure, user(app))
    run_jobs()
    link, retry = _state(db_session, link, retry)
    assert retry.status == "finished" and link.external_id
    assert link.issue_date == invoice.issue_date  # billed on the document's own date
    assert len(at.box.invoices()) == 1 and len(at.posts("invoice")) == 1
