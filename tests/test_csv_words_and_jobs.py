"""CSV in the reader's words (issue #14) and big exports as a job (issue #15).

Headers and codes as the screens show them in English and Japanese, people by name, times
in Tokyo with their offset, the invoice CSV's balance, file names in words; beyond
RENKEI_CSV_INLINE_MAX_ROWS the export runs as an RQ job with progress and a download
that only the person who asked, still holding the list's right, may fetch (403 else).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from flask_babel import refresh

from app.models.crm import Deal
from app.services.documents import issuing, payments
from app.services.documents.lifecycle import today_tokyo
from tests.conftest import login
from tests.documents.conftest import entity as entity_fixture
from tests.documents.conftest import line
from tests.test_statement_counts import counting

entity = entity_fixture


def read_csv(response):
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _reader(app, username, language):
    client = app.test_client()
    login(client, username)
    refresh()
    assert client.get(f"/lang/{language}").status_code == 302
    return client


def _get(client, url):
    refresh()  # the tests share one app context, where Flask-Babel caches the language
    return client.get(url)


def _owned(db_session, app, sample):
    sales = app.appbuilder.sm.find_user(username="sales")
    deal = db_session.query(Deal).filter_by(title="Annual support").one()
    deal.owner_id = sales.id
    db_session.commit()
    db_session.execute(
        Deal.__table__.update()
        .where(Deal.id == deal.id)
        .values(updated_at=dt.datetime(2026, 12, 2, 3, 13, 33, 481235))
    )
    db_session.commit()
    return deal


@pytest.mark.parametrize(
    "language, words",
    [
        ("en", {"stage": "Stage", "owner": "Owner", "won": "Won", "file": "deals-"}),
        ("ja_JP", {"stage": "ステージ", "owner": "担当営業", "won": "受注", "file": "案件-"}),
    ],
)
def test_deal_csv_in_words_names_and_tokyo_time(app, db_session, sample, language, words):
    _owned(db_session, app, sample)
    client = _reader(app, "admin", language)
    response = _get(client, "/dealview/csv?_flt_0_stage=won")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in disposition
    from urllib.parse import unquote

    name = unquote(disposition.split("filename*=UTF-8''")[1])
    assert name == f"{words['file']}{today_tokyo().isoformat()}.csv"
    header, row = read_csv(response)
    assert words["stage"] in header and words["owner"] in header
    cell = dict(zip(header, row, strict=True))
    assert cell[words["stage"]] == words["won"]
    assert cell[words["owner"]] == "営業 太郎"  # the name, not the login "sales"
    assert "sales" not in row
    updated = next(v for v in row if v.startswith("2026-12-02T"))
    assert updated == "2026-12-02T12:13:33+09:00"


def test_invoice_csv_has_state_in_words_and_the_balance(app, db_session, sample, entity):
    invoice = issuing.new_document(
        "invoice", sample["sakura"], lines=[line(price="100000")], due_date=today_tokyo()
    )
    invoice.state = "approved"
    db_session.commit()
    invoice.state = "sent"
    db_session.commit()
    payments.record_payment(invoice, Decimal(30000), today_tokyo(), user=None)
    for language, balance, state, file in (
        ("en", "Balance", "Partially paid", "invoices-"),
        ("ja_JP", "残高", "一部入金", "請求書-"),
    ):
        client = _reader(app, "accounting", language)
        response = _get(client, "/invoices/csv")
        header, row = read_csv(response)
        cell = dict(zip(header, row, strict=True))
        assert cell[balance] == "80000"  # 110,000 − 30,000
        assert state in row and "partially_paid" not in row
        assert "経理 花子" not in row  # created by nobody: an empty cell, not "None"
        from urllib.parse import unquote

        assert file in unquote(response.headers["Content-Disposition"])


def test_deal_csv_statements_fixed_whatever_the_rows(admin_client, db_session, sample):
    admin_client.get("/lang/en")
    with counting() as few:
        assert len(read_csv(admin_client.get("/dealview/csv"))) == 3
    company = sample["sakura"]
    db_session.execute(
        Deal.__table__.insert(),
        [
            {"title": f"d{n}", "company_id": company.id, "stage": "won", "amount": n}
            for n in range(3000)
        ],
    )
    db_session.commit()
    with counting() as many:
        assert len(read_csv(admin_client.get("/dealview/csv"))) == 3003
    assert len(few) == len(many)


@pytest.fixture()
def job_exports(app, tmp_path):
    saved = {k: app.config.get(k) for k in ("RENKEI_CSV_INLINE_MAX_ROWS", "RENKEI_EXPORT_DIR")}
    app.config.update(RENKEI_CSV_INLINE_MAX_ROWS=0, RENKEI_EXPORT_DIR=str(tmp_path))
    yield tmp_path
    app.config.update(saved)


def test_big_export_runs_as_a_job_and_only_its_owner_downloads(
    app, db_session, sample, job_exports, run_jobs
):
    sales = _reader(app, "sales", "en")
    started = _get(sales, "/dealview/csv?_flt_0_stage=won&_flt_0_title=")
    assert started.status_code == 302
    page_url = started.headers["Location"]
    export_id = re.search(r"/csv/job/([0-9a-f]{32})", page_url).group(1)
    waiting = _get(sales, page_url).get_data(as_text=True)
    assert 'id="sync-progress"' in waiting and "renkei-progress.js" in waiting
    progress = _get(sales, f"/dealview/csv/job/{export_id}/progress").get_json()
    assert progress["finished"] is False and progress["download_url"] is None
    download = f"/dealview/csv/job/{export_id}/download"
    assert _get(sales, download).status_code == 404  # not written yet

    run_jobs()
    progress = _get(sales, f"/dealview/csv/job/{export_id}/progress").get_json()
    assert progress["finished"] and progress["percent"] == 100 and progress["total"] == 1
    assert progress["download_url"] == download
    page = _get(sales, page_url).get_data(as_text=True)
    assert 'id="csv-download"' in page
    response = _get(sales, download)
    assert response.status_code == 200
    assert "deals-" in response.headers["Content-Disposition"]
    header, *rows = read_csv(response)
    assert "Stage" in header and [r[1] for r in rows] == ["Annual support"]  # the filter kept

    # another person, even one who may read deals, may not fetch it …
    accounting = _reader(app, "accounting", "en")
    for url in (page_url, download, f"/dealview/csv/job/{export_id}/progress"):
        assert _get(accounting, url).status_code == 403
    # … nor through another list's route, nor an unknown id
    assert _get(sales, f"/companyview/csv/job/{export_id}/download").status_code == 403
    assert _get(sales, "/dealview/csv/job/" + "0" * 32 + "/download").status_code == 404

    # and the person who asked, once without the right to read deals, gets 403
    sm = app.appbuilder.sm
    role = sm.find_role("Sales")
    grant = sm.find_permission_view_menu("can_read", "Deal")
    role.permissions.remove(grant)
    db_session.commit()
    try:
        assert _get(sales, download).status_code == 403
    finally:
        role.permissions.append(grant)
        db_session.commit()
    assert _get(sales, download).status_code == 200


def test_job_of_a_user_who_lost_the_right_writes_nothing(
    app, db_session, sample, job_exports, run_jobs
):
    sales = _reader(app, "sales", "en")
    page_url = _get(sales, "/dealview/csv").headers["Location"]
    export_id = re.search(r"/csv/job/([0-9a-f]{32})", page_url).group(1)
    sm = app.appbuilder.sm
    role = sm.find_role("Sales")
    grant = sm.find_permission_view_menu("can_read", "Deal")
    role.permissions.remove(grant)
    db_session.commit()
    try:
        run_jobs()
    finally:
        role.permissions.append(grant)
        db_session.commit()
    progress = _get(sales, f"/dealview/csv/job/{export_id}/progress").get_json()
    assert progress["failed"] and progress["download_url"] is None
    assert not list(job_exports.glob("*.csv"))
