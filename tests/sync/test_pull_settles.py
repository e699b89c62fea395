"""A whole pull at each provider: the invoice paid there gets its payment (balance 0, its
deal paid); a link nothing changed on is stamped as pulled without being rewritten."""

from __future__ import annotations

from decimal import Decimal

from app.models.crm import Deal
from app.models.documents import Document, Payment
from app.models.sync import ExternalDocument, SyncRun
from app.services.documents import payments
from app.services.sync import request_status_refresh
from tests.sync.conftest import user


def _deal(db_session, sample, title: str) -> Deal:
    deal = Deal(
        title=title,
        company=sample["acme"],
        deal_type=sample["project"],
        stage="won",
        probability=100,
        currency="JPY",
        amount=Decimal("120000"),
    )
    db_session.add(deal)
    db_session.commit()
    return deal


def test_whole_pull_records_the_payment_and_stamps_the_rest(app, db_session, at, sample, run_jobs):
    from app.services.sync.issuing import invoice_deal

    links = []
    for title in ("paid there", "still open"):
        issued = invoice_deal(_deal(db_session, sample, title), at.connection, user(app))
        links.append(issued.link.id)
    run_jobs()
    db_session.expire_all()
    paid, still = (db_session.get(ExternalDocument, i) for i in links)
    assert paid.external_id and still.external_id, (paid.last_error, still.last_error)
    at.box.set_status(paid.external_id, "paid")
    before = still.last_pulled_at
    updated_at = still.updated_at

    run = request_status_refresh(user(app))
    run_jobs()
    db_session.expire_all()
    run = db_session.get(SyncRun, run.id)
    assert run.status == "finished", run.message
    paid, still = (db_session.get(ExternalDocument, i) for i in links)
    invoice = db_session.get(Document, paid.document_id)
    assert paid.billing_status == "paid" and invoice.state == "paid"
    assert payments.balance(invoice) == 0
    (payment,) = db_session.query(Payment).filter_by(document_id=invoice.id).all()
    assert payment.connection_id == at.connection.id and payment.amount == invoice.total
    assert db_session.get(Deal, paid.deal_id).billing_status == "paid"
    assert still.billing_status not in ("paid", "deleted")
    assert db_session.get(Document, still.document_id).state == "sent"
    if still.last_pulled_at != before:  # listed (freee lists every open invoice)
        assert still.last_pulled_at > (before or still.created_at)
        assert still.updated_at >= updated_at

    # pulling again records nothing more
    run = request_status_refresh(user(app))
    run_jobs()
    db_session.expire_all()
    assert db_session.query(Payment).filter_by(document_id=invoice.id).count() == 1
