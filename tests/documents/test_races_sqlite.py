"""The same races on SQLite, the demo's database: the row lock there is SQLite's write lock
(services/locking.py), taken by a no-op UPDATE; N identical requests still have one outcome."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.extensions import db
from app.models.audit import AuditEntry
from app.models.documents import ApprovalRule, Document, LegalEntity, Payment
from app.services.documents import approvals, issuing, lifecycle, payments
from tests.conftest import LiveServer, wipe_crm
from tests.documents.conftest import VALID_T, line
from tests.documents.test_races import api_posts, bearer, count, statuses
from tests.factories import make_sample


@pytest.fixture()
def sqlite_world(sqlite_app):
    """The SQLite app served over HTTP, with the sample CRM, an issuer and the demo users."""
    with sqlite_app.app_context():
        session = db.session
        sample = make_sample(session)
        session.add(LegalEntity(name="株式会社レンケイ", registration_number=VALID_T))
        session.commit()
        sm = sqlite_app.appbuilder.sm
        users = {name: sm.find_user(username=name) for name in ("accounting", "approver")}
        with LiveServer(sqlite_app) as server:
            yield server, session, sample, users
        session.rollback()
        wipe_crm(session)


def test_ten_payments_of_the_whole_balance_record_one_on_sqlite(sqlite_world):
    server, session, sample, users = sqlite_world
    invoice = issuing.new_document("invoice", sample["sakura"], lines=[line(price="1200")])
    approvals.submit(invoice, users["accounting"])
    lifecycle.move(invoice, "sent")
    session.commit()
    headers = bearer(server, "accounting")
    url = f"/api/v1/invoice/{invoice.id}/payment"
    results = api_posts(server, headers, url, 10, {"amount": "1320"})
    assert statuses(results) == [201] + [422] * 9
    assert count(session, Payment, Payment.document_id == invoice.id) == 1
    session.refresh(invoice)
    assert payments.balance(invoice) == 0 and invoice.state == "paid"


def test_six_converts_and_eight_approvals_once_on_sqlite(sqlite_world):
    server, session, sample, users = sqlite_world
    quote = issuing.new_document("quote", sample["sakura"], lines=[line(price="2000000")])
    approvals.submit(quote, users["accounting"])  # no rule here: approved at once
    headers = bearer(server, "accounting")
    results = api_posts(server, headers, f"/api/v1/quote/{quote.id}/action/convert", 6)
    assert sorted(r.status_code for r in results).count(422) == 5
    assert count(session, Document, Document.source_id == quote.id) == 1

    session.add(ApprovalRule(name="高額", currency="JPY", min_amount=Decimal(1_000_000)))
    session.commit()
    pending = issuing.new_document("quote", sample["sakura"], lines=[line(price="2000000")])
    approvals.submit(pending, users["accounting"])
    assert pending.state == "pending_approval"
    approver = bearer(server, "approver")
    results = api_posts(server, approver, f"/api/v1/quote/{pending.id}/action/approve", 8)
    assert statuses(results) == [200] + [422] * 7
    decided = count(
        session,
        AuditEntry,
        AuditEntry.document_id == pending.id,
        AuditEntry.action == "approval",
        AuditEntry.field == "decision",
    )
    assert decided == 1
