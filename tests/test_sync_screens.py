"""Sync screens (issue 4): the deal page's provider documents and buttons, the deal
list's billing-status column, filter, CSV and bulk refresh, run progress, sync history."""

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.models.connection import Connection
from app.models.crm import Deal
from app.models.sync import ExternalDocument, SyncFailure, SyncRun
from tests.conftest import csrf_token, login

CSRF_PAGE = "/resetmypassword/form"


@pytest.fixture()
def engine(db_session, redis_conn):
    """The sync engine (jobs queued to the test Redis), and a clean sync history after."""
    from app.services import sync

    yield sync
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


@pytest.fixture()
def connection(db_session, engine):
    conn = Connection(
        provider="moneyforward",
        name="MF screens",
        client_id="renkei-demo",
        status="connected",
        api_base_url="http://127.0.0.1:9/sandbox/moneyforward/api",
        authorize_url="http://127.0.0.1:9/sandbox/moneyforward/oauth/authorize",
        token_url="http://127.0.0.1:9/sandbox/moneyforward/oauth/token",
    )
    db_session.add(conn)
    db_session.commit()
    return conn


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, CSRF_PAGE), **data})


def signed_in(app, username):
    client = app.test_client()
    login(client, username)
    return client


def latest_run(db_session):
    db_session.expire_all()
    return db_session.query(SyncRun).order_by(SyncRun.id.desc()).first()


# --- deal page -------------------------------------------------------------------------


def test_deal_page_lists_documents_per_connection(admin_client, sample, connection, db_session):
    deal = sample["amount_only"]
    db_session.add(
        ExternalDocument(
            deal_id=deal.id,
            connection_id=connection.id,
            reference="renkei-test-1",
            external_id="X1",
            number="INV-0001",
            issue_date=dt.date(2026, 11, 1),
            currency="JPY",
            total=Decimal("110000"),
            billing_status="paid",
            payment_status="settled",
            provider_url="https://invoice.example/INV-0001",
            last_pulled_at=dt.datetime(2026, 11, 2, 1, 0),
            last_error="boom at provider",
        )
    )
    db_session.commit()
    html = admin_client.get(f"/dealview/show/{deal.id}").get_data(as_text=True)
    assert f'id="connection-{connection.id}"' in html and "MF screens" in html
    assert "INV-0001" in html and "2026-11-01" in html and "settled" in html
    assert "110,000" in html
    assert "入金済み" in html  # paid, in the reader's language (ja by default)
    assert "2026-11-02 10:00" in html  # last synced, in Asia/Tokyo
    assert "boom at provider" in html
    document = db_session.query(ExternalDocument).filter_by(reference="renkei-test-1").one()
    # "Open at provider" goes through Renkei (a provider's PDF link may need our token)
    assert re.search(
        rf'href="/dealview/provider_document/{document.id}" target="_blank" rel="noopener"', html
    )
    assert "https://invoice.example/INV-0001" not in html
    assert f"/dealview/refresh/{deal.id}" in html
    assert f"/dealview/create_invoice/{deal.id}/{connection.id}" in html


@pytest.mark.parametrize("username", ["sales", "readonly", "accounting"])
def test_create_invoice_hidden_and_refused_without_permission(
    app, sample, connection, db_session, username
):
    deal = sample["amount_only"]
    client = signed_in(app, username)
    html = client.get(f"/dealview/show/{deal.id}").get_data(as_text=True)
    assert "/dealview/create_invoice/" not in html
    # refreshing needs its own right (tests/sync/test_refresh_rights.py)
    assert (f"/dealview/refresh/{deal.id}" in html) == (username != "readonly")
    response = post(client, f"/dealview/create_invoice/{deal.id}/{connection.id}")
    assert response.status_code == 403
    assert db_session.query(ExternalDocument).count() == 0
    assert db_session.query(SyncRun).count() == 0


def test_create_invoice_needs_csrf(admin_client, sample, connection, db_session):
    deal = sample["amount_only"]
    response = admin_client.post(f"/dealview/create_invoice/{deal.id}/{connection.id}")
    assert response.status_code in (302, 400)
    assert db_session.query(SyncRun).count() == 0


def test_admin_creates_an_invoice(admin_client, sample, connection, db_session):
    from tests.factories import ensure_issuer

    ensure_issuer(db_session)
    deal = sample["with_lines"]
    response = post(admin_client, f"/dealview/create_invoice/{deal.id}/{connection.id}")
    assert response.status_code == 302
    run = latest_run(db_session)
    assert run is not None and run.kind == "create_invoice"
    assert response.headers["Location"].endswith(f"/dealview/show/{deal.id}?run={run.id}")
    page = admin_client.get(f"/dealview/show/{deal.id}?run={run.id}").get_data(as_text=True)
    assert f'data-progress-url="/dealview/progress/{run.id}"' in page
    assert "renkei-progress.js" in page
    assert db_session.query(ExternalDocument).filter_by(deal_id=deal.id).count() == 1


def test_refresh_one_deal(app, sample, engine, db_session):
    deal = sample["amount_only"]
    client = signed_in(app, "sales")
    response = post(client, f"/dealview/refresh/{deal.id}")
    assert response.status_code == 302
    run = latest_run(db_session)
    assert run.kind == "refresh_statuses"
    assert json.loads(run.deal_ids) == [deal.id]
    assert f"?run={run.id}" in response.headers["Location"]


def test_refresh_needs_deal_read(app, sample, engine, db_session):
    client = app.test_client()  # signed out
    response = client.post(f"/dealview/refresh/{sample['amount_only'].id}")
    assert response.status_code in (302, 400, 401, 403)
    assert db_session.query(SyncRun).count() == 0


def test_refused_invoice_is_explained(admin_client, sample, connection, db_session):
    deal = sample["amount_only"]  # in USD, the connection invoices in JPY
    response = post(admin_client, f"/dealview/create_invoice/{deal.id}/{connection.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/dealview/show/{deal.id}")
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "alert-danger" in page and "USD" in page
    assert db_session.query(SyncRun).count() == 0


# --- deal list -------------------------------------------------------------------------


def _set_billing(db_session, **statuses):
    for title, status in statuses.items():
        db_session.query(Deal).filter_by(title=title).update({"billing_status": status})
    db_session.commit()


def test_list_column_filter_and_csv(admin_client, sample, db_session):
    deals = db_session.query(Deal).order_by(Deal.id).all()
    assert len(deals) >= 2
    paid, other = deals[0], deals[1]
    _set_billing(db_session, **{paid.title: "paid", other.title: "unpaid"})
    html = admin_client.get("/dealview/list/").get_data(as_text=True)
    assert "入金済み" in html and "未入金" in html  # translated labels in the column
    assert 'id="btn-refresh-all"' in html
    filtered = admin_client.get("/dealview/list/?_flt_0_billing_status=paid").get_data(as_text=True)
    assert paid.title in filtered and other.title not in filtered
    # the search form (rendered by FAB as JSON) offers the billing-status select,
    # its labels in the reader's language
    label = json.dumps("一部入金").strip('"')
    assert f'value=\\"partially_paid\\"\\u003e{label}\\u003c' in html, "no filter"
    body = admin_client.get("/dealview/csv?_flt_0_billing_status=paid").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    header = rows[0]
    column = next(i for i, name in enumerate(header) if name in ("請求状況", "Billing status"))
    assert [row[column] for row in rows[1:]] == ["入金済み"]  # in the reader's words (ja)


def test_bulk_refresh_enqueues_exactly_the_selected_deals(admin_client, sample, engine, db_session):
    deals = db_session.query(Deal).order_by(Deal.id).all()
    chosen = [deals[0].id, deals[-1].id]
    token = csrf_token(admin_client, "/dealview/list/")
    response = admin_client.post(
        "/dealview/action_post",
        data={
            "action": "refresh_billing",
            "rowid": [str(pk) for pk in chosen],
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    run = latest_run(db_session)
    assert run.kind == "refresh_statuses"
    assert sorted(json.loads(run.deal_ids)) == sorted(chosen)
    assert f"/dealview/list/?run={run.id}" in response.headers["Location"]


def test_bulk_refresh_keeps_the_filters_and_reports_in_deals(
    admin_client, sample, engine, db_session
):
    deals = db_session.query(Deal).order_by(Deal.id).all()
    chosen = [d.id for d in deals[:4]] if len(deals) >= 4 else [d.id for d in deals]
    listed = "/dealview/list/?_flt_0_stage=won&_flt_0_currency=JPY&run=1&shown=1"
    response = admin_client.post(
        "/dealview/action_post",
        data={
            "action": "refresh_billing",
            "rowid": [str(pk) for pk in chosen],
            "csrf_token": csrf_token(admin_client, "/dealview/list/"),
        },
        headers={"Referer": f"http://localhost{listed}"},
    )
    run = latest_run(db_session)
    location = response.headers["Location"]
    assert "_flt_0_stage=won" in location and "_flt_0_currency=JPY" in location
    assert f"run={run.id}" in location and "run=1&" not in location and "shown" not in location
    progress = admin_client.get(f"/dealview/progress/{run.id}").get_json()
    assert progress["deals"] == len(chosen)  # the unit the person selected
    page = admin_client.get(location).get_data(as_text=True)
    assert "data-template-deals=" in page and 'id="sync-progress-close"' in page
    # the panel's × goes back to the list with its filters, without the run
    close = re.search(r'id="sync-progress-close" href="([^"]+)"', page).group(1)
    assert "_flt_0_stage=won" in close and "run=" not in close
    # another site's page as Referer is not followed
    other = admin_client.post(
        "/dealview/action_post",
        data={
            "action": "refresh_billing",
            "rowid": [str(chosen[0])],
            "csrf_token": csrf_token(admin_client, "/dealview/list/"),
        },
        headers={"Referer": "http://evil.example/dealview/list/?_flt_0_stage=lost"},
    )
    assert "_flt_0_stage" not in other.headers["Location"]


def test_bulk_refresh_allowed_to_sales(app, sample, engine, db_session):
    client = signed_in(app, "sales")
    deal = sample["amount_only"]
    response = client.post(
        "/dealview/action_post",
        data={
            "action": "refresh_billing",
            "rowid": [str(deal.id)],
            "csrf_token": csrf_token(client, CSRF_PAGE),
        },
    )
    assert response.status_code == 302
    assert json.loads(latest_run(db_session).deal_ids) == [deal.id]


def test_refresh_all(admin_client, sample, engine, db_session):
    response = post(admin_client, "/dealview/refresh_all")
    assert response.status_code == 302
    run = latest_run(db_session)
    assert run.kind == "refresh_statuses" and run.deal_ids in (None, "null")
    assert f"?run={run.id}" in response.headers["Location"]


# --- progress --------------------------------------------------------------------------


def test_progress_endpoint(admin_client, sample, engine, db_session):
    run = SyncRun(kind="refresh_statuses", status="running", total=4, done=1, updated=1)
    db_session.add(run)
    db_session.commit()
    data = admin_client.get(f"/dealview/progress/{run.id}").get_json()
    assert {
        "status",
        "total",
        "done",
        "created",
        "updated",
        "failed",
        "percent",
        "message",
        "finished",
    } <= set(data)
    assert data["total"] == 4 and data["done"] == 1 and data["percent"] == 25
    assert data["finished"] is False
    assert admin_client.get("/dealview/progress/999999").status_code == 404


def test_progress_is_shown_to_its_starter_and_history_readers_only(app, engine, db_session):
    sm = app.appbuilder.sm
    sales, readonly = sm.find_user(username="sales"), sm.find_user(username="readonly")
    mine = SyncRun(kind="refresh_statuses", status="running", started_by_id=sales.id, total=2)
    scheduled = SyncRun(kind="scheduled_refresh", status="running", total=5)
    db_session.add_all([mine, scheduled])
    db_session.commit()
    starter = signed_in(app, "sales")  # may read deals, not the sync history
    assert starter.get(f"/dealview/progress/{mine.id}").get_json()["total"] == 2
    assert starter.get(f"/dealview/progress/{scheduled.id}").status_code == 404
    other = signed_in(app, "readonly")
    assert other.get(f"/dealview/progress/{mine.id}").status_code == 404
    assert other.get(f"/dealview/progress/{scheduled.id}").status_code == 404
    for reader in ("admin", "accounting"):  # can_read on SyncHistory
        client = signed_in(app, reader)
        assert client.get(f"/dealview/progress/{mine.id}").get_json()["total"] == 2
        assert client.get(f"/dealview/progress/{scheduled.id}").get_json()["total"] == 5
    signed_out = app.test_client().get(f"/dealview/progress/{mine.id}")
    assert signed_out.status_code in (302, 401, 403) and b'"total"' not in signed_out.data
    assert readonly.id != sales.id


def test_progress_script_is_local_and_plain(app):
    from pathlib import Path

    script = Path(app.static_folder, "renkei-progress.js").read_text()
    assert "http" not in script.replace("window.location.href", "")
    assert "progress-bar" in script and "finished" in script


# --- sync history ----------------------------------------------------------------------


@pytest.fixture()
def failed_run(sample, connection, db_session):
    run = SyncRun(
        kind="refresh_statuses",
        connection_id=connection.id,
        status="finished",
        total=2,
        done=2,
        updated=1,
        failed=1,
        api_calls=3,
        finished_at=dt.datetime(2026, 11, 2, 1, 0),
    )
    run.failures.append(
        SyncFailure(deal_id=sample["amount_only"].id, message="MF said: partner not found")
    )
    db_session.add(run)
    db_session.commit()
    return run


def test_history_list_and_show(admin_client, failed_run):
    html = admin_client.get("/sync/history/list/").get_data(as_text=True)
    assert "MF screens" in html and "/sync/history/add" not in html
    show = admin_client.get(f"/sync/history/show/{failed_run.id}").get_data(as_text=True)
    assert "MF said: partner not found" in show
    assert f"/sync/history/retry/{failed_run.failures[0].id}" in show


def test_history_is_read_only(admin_client, failed_run, db_session):
    for url in ("/sync/history/add", f"/sync/history/edit/{failed_run.id}"):
        assert admin_client.get(url).status_code in (302, 403, 404)
    post(admin_client, f"/sync/history/delete/{failed_run.id}")
    db_session.expire_all()
    assert db_session.get(SyncRun, failed_run.id) is not None


def test_accounting_reads_history_but_may_not_retry(app, failed_run, db_session):
    client = signed_in(app, "accounting")
    assert 'href="/sync/history/list/' in client.get("/dealview/list/").get_data(as_text=True)
    show = client.get(f"/sync/history/show/{failed_run.id}").get_data(as_text=True)
    assert "MF said: partner not found" in show and "/sync/history/retry/" not in show
    failure_id = failed_run.failures[0].id
    response = post(client, f"/sync/history/retry/{failure_id}")
    assert response.status_code in (302, 403) and "/sync/history/show" not in response.headers.get(
        "Location", ""
    )
    assert db_session.query(SyncRun).count() == 1
    sales = signed_in(app, "sales")
    assert sales.get("/sync/history/list/").status_code in (302, 403)


def test_admin_retries_a_failure(admin_client, failed_run, engine, db_session):
    failure_id = failed_run.failures[0].id
    response = post(admin_client, f"/sync/history/retry/{failure_id}")
    assert response.status_code == 302
    run = latest_run(db_session)
    assert run.id != failed_run.id
    assert f"/sync/history/show/{run.id}?run={run.id}" in response.headers["Location"]
