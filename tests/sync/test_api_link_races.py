"""The provider-links API under races: 8 identical requests released together on the
threaded live server (one thread each, own app context and session) have one outcome —
one Renkei document, one link, one invoice in the sandbox. On PostgreSQL (row locks) and
SQLite (the demo: its write lock)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from app.extensions import db
from app.models.crm import Deal
from app.models.documents import Document, LegalEntity
from app.models.sync import ExternalDocument, SyncRun
from app.services.documents import approvals, issuing
from tests.conftest import LiveServer, drain_queues, wipe_crm
from tests.documents.conftest import VALID_T
from tests.documents.test_races import api_posts, bearer, count, statuses
from tests.factories import make_sample
from tests.sync.conftest import Sandbox, _wipe, make_connected, user

AT_ONCE = 8


def _deal(session, sample) -> Deal:
    deal = Deal(
        title="保守サポート 2026",
        company=sample["acme"],
        deal_type=sample["project"],
        stage="won",
        probability=100,
        currency="JPY",
        amount=Decimal("120000"),
    )
    session.add(deal)
    session.commit()
    return deal


def _check_races(app, server, session, sample, redis_conn) -> None:
    box = Sandbox(server.url)
    box.reset()
    connection = make_connected(session, server.url, "moneyforward", "MF races")
    headers = bearer(server, "admin")
    deal = _deal(session, sample)
    deal_id, connection_id = deal.id, connection.id

    # 8 × "Create invoice": one document, one link, one invoice at the provider
    url = f"/api/v1/deal/{deal_id}/invoice"
    results = api_posts(server, headers, url, AT_ONCE, {"connection_id": connection_id})
    assert statuses(results) == [202] * AT_ONCE, [getattr(r, "text", r) for r in results]
    assert len({r.json()["document"]["id"] for r in results}) == 1
    assert len({r.json()["link"]["id"] for r in results}) == 1
    assert len({r.json()["run_id"] for r in results}) == 1
    drain_queues(app, redis_conn)
    assert count(session, Document, Document.deal_id == deal_id) == 1
    assert count(session, ExternalDocument, ExternalDocument.deal_id == deal_id) == 1
    assert len(box.invoices()) == 1

    # 8 × confirmed with the same newest id: one new document
    refused = requests.post(
        f"{server.url}{url}", json={"connection_id": connection_id}, headers=headers, timeout=60
    )
    assert refused.status_code == 409, refused.text
    confirmed = {"connection_id": connection_id, "confirm": refused.json()["newest_id"]}
    results = api_posts(server, headers, url, AT_ONCE, confirmed)
    assert statuses(results) == [202] * AT_ONCE, [getattr(r, "text", r) for r in results]
    drain_queues(app, redis_conn)
    assert count(session, Document, Document.deal_id == deal_id) == 2
    assert count(session, ExternalDocument, ExternalDocument.deal_id == deal_id) == 2
    assert len(box.invoices()) == 2

    # 8 × "Issue at" one connection: one link, one run, one invoice
    line = {"name": "導入支援", "unit_price": Decimal(1000), "quantity": Decimal(1)}
    document = issuing.new_document("invoice", sample["sakura"], lines=[line])
    approvals.submit(document, user(app, "accounting"))
    session.commit()
    url = f"/api/v1/document/{document.id}/issue"
    results = api_posts(server, headers, url, AT_ONCE, {"connection_ids": [connection_id]})
    assert statuses(results) == [202] * AT_ONCE, [getattr(r, "text", r) for r in results]
    drain_queues(app, redis_conn)
    links = count(session, ExternalDocument, ExternalDocument.document_id == document.id)
    assert links == 1
    runs = session.query(SyncRun).join(ExternalDocument, SyncRun.document_id == ExternalDocument.id)
    assert runs.filter(ExternalDocument.document_id == document.id).count() == 1
    assert len(box.invoices()) == 3
    box.reset()


def test_eight_identical_requests_have_one_outcome(
    app, db_session, live_server, sample, redis_conn
):
    try:
        _check_races(app, live_server, db_session, sample, redis_conn)
    finally:
        _wipe(db_session)


@pytest.fixture()
def sqlite_sync_world(sqlite_app, redis_conn):
    """The SQLite app served over HTTP (with its sandboxes), the sample CRM and an issuer."""
    with sqlite_app.app_context():
        session = db.session
        sample = make_sample(session)
        session.add(LegalEntity(name="株式会社レンケイ", registration_number=VALID_T))
        session.commit()
        with LiveServer(sqlite_app) as server:
            yield server, session, sample
        session.rollback()
        _wipe(session)
        wipe_crm(session)


def test_eight_identical_requests_have_one_outcome_on_sqlite(
    sqlite_app, sqlite_sync_world, redis_conn
):
    server, session, sample = sqlite_sync_world
    _check_races(sqlite_app, server, session, sample, redis_conn)
