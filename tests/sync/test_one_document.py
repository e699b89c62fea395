"""One governed invoice: the deal tab's "Create invoice" makes a Renkei invoice (numbered,
under the approval rules, in the audit trail) and issues it at the connection; what the
provider reports paid settles it; the deal's billing status follows its documents."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.models.audit import AuditEntry
from app.models.crm import Deal
from app.models.documents import ApprovalRule, Document, Payment
from app.models.sync import ExternalDocument, SyncRun
from app.services.documents import approvals, payments
from app.services.sync import NeedsConfirmation, invoice_deal, issue, request_status_refresh
from tests.sync.conftest import make_connected, user


def _fresh(db_session, model, pk):
    db_session.expire_all()
    return db_session.get(model, pk)


def _actions(db_session, document_id) -> list[str]:
    return [
        e.action
        for e in db_session.query(AuditEntry)
        .filter_by(document_id=document_id)
        .order_by(AuditEntry.id)
    ]


def test_create_invoice_makes_a_numbered_renkei_invoice_and_issues_it(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    issued = invoice_deal(jpy_deal, mf, user(app))
    document = issued.link.document
    assert document.number.startswith("INV-") and document.kind == "invoice"
    assert document.deal_id == jpy_deal.id and document.state == "approved"
    assert issued.run is not None and issued.link.billing_status == "pending"
    run_jobs()
    document = _fresh(db_session, Document, document.id)
    link = db_session.get(ExternalDocument, issued.link.id)
    assert document.state == "sent" and document.sent_at is not None
    assert link.external_id and link.document_id == document.id and link.origin == "issued"
    (billing,) = sandbox.billings()
    assert Decimal(str(billing["amount"])) == Decimal(document.total) == Decimal("132000")
    trail = _actions(db_session, document.id)
    assert "create" in trail and "issued_at_provider" in trail
    assert db_session.get(Deal, jpy_deal.id).billing_status == "unpaid"


def test_under_an_approval_rule_it_waits_and_is_issued_when_approved(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    db_session.add(ApprovalRule(name="高額", currency="JPY", min_amount=Decimal(100000)))
    db_session.commit()
    issued = invoice_deal(jpy_deal, mf, user(app))
    assert issued.run is None and issued.link.billing_status == "awaiting_approval"
    document = issued.link.document
    assert document.state == "pending_approval"
    run_jobs()
    assert sandbox.billings() == []  # nothing reaches the provider before the approval
    assert db_session.get(Deal, jpy_deal.id).billing_status == "draft"
    again = invoice_deal(jpy_deal, mf, user(app))  # pressed again: the same one waits
    assert again.link.id == issued.link.id
    approvals.decide(_fresh(db_session, Document, document.id), user(app, "approver"), True)
    run = db_session.query(SyncRun).filter_by(document_id=issued.link.id).one()
    assert run.started_by_id == user(app).id  # issued for the person who asked
    run_jobs()
    document = _fresh(db_session, Document, document.id)
    assert document.state == "sent"
    assert len(sandbox.billings()) == 1
    assert db_session.get(ExternalDocument, issued.link.id).external_id


def test_a_second_invoice_for_a_billed_deal_needs_a_confirmation(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    first = invoice_deal(jpy_deal, mf, user(app))
    run_jobs()
    with pytest.raises(NeedsConfirmation) as asked:
        invoice_deal(jpy_deal, mf, user(app))
    assert [d.id for d in asked.value.existing] == [first.link.document_id]
    assert first.link.document.number in str(asked.value)
    # A confirmation that did not see the newest invoice does not count.
    with pytest.raises(NeedsConfirmation):
        invoice_deal(jpy_deal, mf, user(app), confirm=asked.value.newest_id - 1)
    second = invoice_deal(jpy_deal, mf, user(app), confirm=asked.value.newest_id)
    assert second.link.document_id != first.link.document_id
    # The same confirmation sent again (a double click) makes nothing more: while the
    # second is being issued it is that one; once issued, the question comes again.
    twice = invoice_deal(jpy_deal, mf, user(app), confirm=asked.value.newest_id)
    assert twice.link.id == second.link.id
    run_jobs()
    with pytest.raises(NeedsConfirmation):
        invoice_deal(jpy_deal, mf, user(app), confirm=asked.value.newest_id)
    assert len(sandbox.billings()) == 2
    assert db_session.query(Document).filter_by(deal_id=jpy_deal.id).count() == 2


def test_paid_at_the_provider_is_a_payment_on_the_renkei_invoice(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    issued = invoice_deal(jpy_deal, mf, user(app))
    run_jobs()
    link = _fresh(db_session, ExternalDocument, issued.link.id)
    sandbox.set_status(link.external_id, "paid")
    for _ in range(2):  # pulled twice: recorded once
        request_status_refresh(user(app), [jpy_deal.id])
        run_jobs()
    document = _fresh(db_session, Document, issued.link.document_id)
    (payment,) = db_session.query(Payment).filter_by(document_id=document.id).all()
    assert payment.connection_id == mf.id and payment.amount == Decimal("132000")
    assert document.state == "paid" and payments.balance(document) == 0
    assert "provider_payment" in _actions(db_session, document.id)
    assert db_session.get(Deal, jpy_deal.id).billing_status == "paid"


def test_an_approved_invoice_is_issued_at_two_connections_once_each(
    app, db_session, live_server, mf, jpy_deal, run_jobs
):
    from tests.sync.conftest import Sandbox

    freee_box = Sandbox(live_server.url, "freee")
    freee_box.reset()
    freee = make_connected(db_session, live_server.url, "freee", "freee accounting")
    first = invoice_deal(jpy_deal, mf, user(app))
    run_jobs()
    document = _fresh(db_session, Document, first.link.document_id)
    both = issue(document, [mf, db_session.get(type(mf), freee.id)], user(app))
    assert [i.run is None for i in both] == [True, False]  # MF holds it already
    again = issue(_fresh(db_session, Document, document.id), [freee], user(app))
    assert again[0].link.id == both[1].link.id
    run_jobs()
    links = db_session.query(ExternalDocument).filter_by(document_id=document.id).all()
    assert len(links) == 2 and all(link.external_id for link in links)
    assert len(freee_box.invoices()) == 1
    freee_box.reset()


def test_a_draft_is_not_issued_from_its_page(app, db_session, mf, jpy_deal):
    from app.services.documents.issuing import from_deal
    from app.services.errors import InvalidInput

    draft = from_deal(jpy_deal, user=user(app))
    with pytest.raises(InvalidInput):
        issue(draft, [mf], user(app))
    assert db_session.query(ExternalDocument).count() == 0


def test_partial_payments_at_zoho_are_recorded_as_reported(
    app, db_session, live_server, jpy_deal, run_jobs
):
    import datetime as dt

    from tests.sync.conftest import Sandbox

    box = Sandbox(live_server.url, "zoho")
    box.reset()
    zoho = make_connected(db_session, live_server.url, "zoho", "zoho partial")
    issued = invoice_deal(jpy_deal, zoho, user(app))
    run_jobs()
    link = _fresh(db_session, ExternalDocument, issued.link.id)
    box.pay(link.external_id, amount=32000, day="2026-11-30")
    request_status_refresh(user(app), [jpy_deal.id])
    run_jobs()
    document = _fresh(db_session, Document, issued.link.document_id)
    (first,) = document.payments
    assert first.amount == Decimal(32000) and first.paid_on == dt.date(2026, 11, 30)
    assert document.state == "partially_paid" and payments.balance(document) == 100000
    assert db_session.get(Deal, jpy_deal.id).billing_status == "partially_paid"
    box.pay(link.external_id)  # the rest
    request_status_refresh(user(app), [jpy_deal.id])
    run_jobs()
    document = _fresh(db_session, Document, issued.link.document_id)
    assert sorted(p.amount for p in document.payments) == [Decimal(32000), Decimal(100000)]
    assert document.state == "paid" and payments.balance(document) == 0
    box.reset()


def test_a_payment_recorded_in_renkei_sets_money_forwards_payment_status(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    issued = invoice_deal(jpy_deal, mf, user(app))
    run_jobs()
    document = _fresh(db_session, Document, issued.link.document_id)
    payments.record_payment(document, Decimal(132000), user=user(app, "accounting"))
    run_jobs()
    link = _fresh(db_session, ExternalDocument, issued.link.id)
    puts = sandbox.requests_to("/payment_status", "PUT")
    assert len(puts) == 1
    assert puts[0]["path"].endswith(f"/billings/{link.external_id}/payment_status")
    assert link.billing_status == "paid" and link.last_error is None
    assert "payment_pushed" in _actions(db_session, document.id)
    # the next pull reads "paid" there and records nothing more
    request_status_refresh(user(app), [jpy_deal.id])
    run_jobs()
    assert len(_fresh(db_session, Document, document.id).payments) == 1
