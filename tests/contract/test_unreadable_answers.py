"""An answer in a form we do not know fails the run in words, naming field and value.

A real HTTP server stands in for Money Forward and answers what no spec example shows
('2026.12.02', an unknown payment status): the job must not crash; the run and the
document say which field held which value.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.models.connection import Connection
from app.models.sync import ExternalDocument, SyncFailure, SyncRun
from app.providers.tokens import TokenSet
from app.services.sync import request_invoice, request_status_refresh
from app.services.token_store import store_tokens
from tests.providers.scripted import Reply, ScriptedServer
from tests.sync.conftest import user

PARTNER = {
    "id": "P1",
    "code": "ACME",
    "name": "Acme",
    "created_at": "2023-03-20 13:39:28 +0900",
    "updated_at": "2023-03-20 13:39:28 +0900",
    "departments": [{"id": "D1", "created_at": "2023-03-20 13:44:52 +0900"}],
}
PAGE = {"total_count": 0, "total_pages": 0, "per_page": 100, "current_page": 1}


def billing(**values) -> dict:
    body = {
        "id": "B1",
        "billing_number": "1",
        "billing_date": "2026/12/02",
        "due_date": "2027/01/01",
        "payment_status": "未設定",
        "total_price": "132000.0",
        "pdf_url": "https://invoice.moneyforward.com/api/v3/billings/B1.pdf",
        "created_at": "2026-12-02 10:00:00 +0900",
        "updated_at": "2026-12-02 10:00:00 +0900",
    }
    return {**body, **values}


@pytest.fixture()
def provider():
    server = ScriptedServer()
    yield server
    server.stop()


@pytest.fixture()
def connection(db_session, provider):
    connection = Connection(
        provider="moneyforward",
        name="MF elsewhere",
        client_id="cid",
        client_secret="csecret",
        scopes="mfc/invoice/data.write",
        api_base_url=provider.url,
        authorize_url=f"{provider.url}/authorize",
        token_url=f"{provider.url}/token",
        status="connected",
    )
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    store_tokens(connection, TokenSet("access-token", "refresh-token", expires))
    db_session.add(connection)
    db_session.commit()
    yield connection
    db_session.rollback()
    for table in (
        "mismatch",
        "sync_failure",
        "sync_run",
        "payment",
        "external_document",
        "partner_link",
        "connection",
    ):
        db_session.execute(sa.text(f"DELETE FROM {table}"))
    db_session.commit()


def test_a_create_answer_in_an_unknown_form_fails_the_run_in_words(
    app, db_session, connection, provider, jpy_deal, run_jobs
):
    provider.on("GET", "/partners", Reply(body={"data": [], "pagination": PAGE}))
    provider.on("POST", "/partners", Reply(201, PARTNER))
    provider.on("GET", "/billings", Reply(body={"data": [], "pagination": PAGE}))
    provider.on(
        "POST", "/invoice_template_billings", Reply(201, billing(billing_date="2026.12.02"))
    )
    document, run = request_invoice(jpy_deal, connection, user(app))
    run_jobs()
    db_session.expire_all()
    run = db_session.get(SyncRun, run.id)
    document = db_session.get(ExternalDocument, document.id)
    assert run.status == "failed"
    assert document.billing_status == "failed"
    for text in (document.last_error, run.message):
        assert "billing_date '2026.12.02'" in text and "Money Forward" in text
    failure = db_session.query(SyncFailure).filter_by(run_id=run.id).one()
    assert "billing_date '2026.12.02'" in failure.message


def test_a_status_in_an_unknown_form_fails_the_pull_in_words(
    app, db_session, connection, provider, jpy_deal, run_jobs
):
    document = ExternalDocument(
        connection_id=connection.id,
        deal_id=jpy_deal.id,
        reference="rk-unreadable",
        external_id="B1",
        billing_status="unpaid",
    )
    db_session.add(document)
    db_session.commit()
    provider.on("GET", "/billings/B1", Reply(body=billing(payment_status="返金済み")))
    run = request_status_refresh(user(app), [jpy_deal.id])
    run_jobs()
    db_session.expire_all()
    run = db_session.get(SyncRun, run.id)
    failure = db_session.query(SyncFailure).filter_by(run_id=run.id).one()
    assert "payment_status '返金済み'" in failure.message
    assert "MF elsewhere" in failure.message
    assert db_session.get(ExternalDocument, document.id).billing_status == "unpaid"
