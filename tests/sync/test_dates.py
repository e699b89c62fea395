"""Dates: the billing date becomes the document's issue date, and "overdue" is decided on
today's date in Asia/Tokyo (due dates at the providers are Japanese calendar days)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.models.connection import Connection
from app.models.crm import Deal
from app.models.sync import ExternalDocument
from app.providers.wire_values import parse_date
from app.services.sync import request_invoice, request_status_refresh
from app.services.sync.adapters import ADAPTERS
from app.services.sync.clients import client_for
from app.services.sync.clock import business_today
from tests.sync.conftest import user

UTC = dt.UTC
MARCH_31 = dt.date(2026, 3, 31)


def test_business_today_is_tokyos_date():
    assert business_today(dt.datetime(2026, 3, 31, 14, 59, tzinfo=UTC)) == MARCH_31
    assert business_today(dt.datetime(2026, 3, 31, 15, 0, tzinfo=UTC)) == dt.date(2026, 4, 1)
    assert business_today(dt.datetime(2026, 3, 31, 15, 0)) == dt.date(2026, 4, 1)  # naive = UTC


def _remote(provider: str, today: dt.date, **raw):
    base = {
        "moneyforward": {"id": "b1", "payment_status": "未入金", "due_date": "2026-03-31"},
        "zoho": {"invoice_id": "9", "status": "sent", "due_date": "2026-03-31"},
        "freee": {"id": 7, "payment_status": "unsettled", "payment_date": "2026-03-31"},
    }[provider]
    return ADAPTERS[provider](None, today).remote({**base, **raw})


def test_unpaid_past_due_in_tokyo_is_overdue_for_every_provider():
    # 2026-03-31 15:30 UTC is already 1 April in Tokyo: an invoice due 31 March is late.
    tokyo = business_today(dt.datetime(2026, 3, 31, 15, 30, tzinfo=UTC))
    for provider in ADAPTERS:
        assert _remote(provider, tokyo).status == "overdue", provider
        assert _remote(provider, MARCH_31).status == "unpaid", provider  # due today: not late
    # Zoho's own "overdue" (its organisation's zone) does not decide: Tokyo's date does.
    assert _remote("zoho", MARCH_31, status="overdue").status == "unpaid"
    paid = {"moneyforward": {"payment_status": "入金済み"}, "zoho": {"status": "paid"}}
    paid["freee"] = {"payment_status": "settled"}
    for provider, raw in paid.items():
        assert _remote(provider, tokyo, **raw).status == "paid", provider


def test_money_forward_billing_date_is_the_issue_date_on_the_deal_page(
    app, db_session, mf, jpy_deal, sandbox, run_jobs, admin_client
):
    document, _run = request_invoice(jpy_deal, mf, user(app))
    run_jobs()
    db_session.expire_all()
    document = db_session.get(ExternalDocument, document.id)
    client, _session = client_for(mf)
    billing = client.get_billing(document.external_id)
    # Money Forward writes 2026/04/01 (its spec's examples); the sandbox does too.
    assert "/" in billing["billing_date"]
    assert document.issue_date == parse_date(billing["billing_date"], "billing_date")
    assert document.due_date == parse_date(billing["due_date"], "due_date")
    # Moved at the provider: the next refresh brings the new billing date back.
    client.update_billing(document.external_id, {"billing_date": "2026-04-01"})
    request_status_refresh(user(app), [jpy_deal.id])
    run_jobs()
    db_session.expire_all()
    assert db_session.get(ExternalDocument, document.id).issue_date == dt.date(2026, 4, 1)
    page = admin_client.get(f"/dealview/show/{jpy_deal.id}").get_data(as_text=True)
    assert "2026-04-01" in page


def test_refresh_marks_unpaid_past_due_overdue_even_if_nothing_changed_there(
    app, db_session, mf, jpy_deal, sandbox, run_jobs
):
    document, _run = request_invoice(jpy_deal, mf, user(app))
    run_jobs()
    db_session.expire_all()
    document = db_session.get(ExternalDocument, document.id)
    document.billing_status = "unpaid"
    document.due_date = business_today() - dt.timedelta(days=1)
    # The Renkei invoice's due date passes too (time passing, not an edit: it is issued).
    db_session.execute(
        sa.text("UPDATE document SET due_date = :day WHERE id = :id"),
        {"day": document.due_date, "id": document.document_id},
    )
    # The provider reports nothing new since the last pull.
    connection = db_session.get(Connection, mf.id)
    connection.statuses_pulled_until = dt.datetime.now(UTC).replace(tzinfo=None) + dt.timedelta(
        days=3
    )
    db_session.commit()
    calls_before = len(sandbox.requests_to("/billings"))
    request_status_refresh(user(app))
    run_jobs()
    db_session.expire_all()
    assert len(sandbox.requests_to("/billings")) == calls_before + 1  # one empty page
    assert db_session.get(ExternalDocument, document.id).billing_status == "overdue"
    assert db_session.get(Deal, jpy_deal.id).billing_status == "overdue"
