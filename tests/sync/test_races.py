"""N identical sync requests released together through real HTTP make one outcome:
one invoice at the provider, one document, one run (Create invoice and Retry)."""

from __future__ import annotations

import re
import threading

import requests

from app.models.documents import Document
from app.models.sync import ExternalDocument, SyncFailure, SyncRun

N = 6
TOKEN_RE = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"'
)


def _browser(root: str, username: str = "admin") -> tuple[requests.Session, str]:
    """A signed-in browser session on the live server and a CSRF token for its posts."""
    session = requests.Session()
    page = session.get(f"{root}/login/", timeout=30).text
    token = next(g for g in TOKEN_RE.search(page).groups() if g)
    answer = session.post(
        f"{root}/login/",
        data={"username": username, "password": username, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:300]
    page = session.get(f"{root}/resetmypassword/form", timeout=30).text
    return session, next(g for g in TOKEN_RE.search(page).groups() if g)


def _together(root: str, path: str, **data) -> list[int]:
    """POST ``path`` from N signed-in browsers released at the same moment."""
    browsers = [_browser(root) for _ in range(N)]
    barrier = threading.Barrier(N)
    codes: list[int] = []

    def press(session, token):
        barrier.wait()
        answer = session.post(
            f"{root}{path}",
            data={"csrf_token": token, **data},
            allow_redirects=False,
            timeout=60,
        )
        codes.append(answer.status_code)

    threads = [threading.Thread(target=press, args=b) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    return codes


def test_parallel_create_invoice_makes_one_invoice(
    db_session, live_server, mf, jpy_deal, sandbox, run_jobs
):
    codes = _together(live_server.url, f"/dealview/create_invoice/{jpy_deal.id}/{mf.id}")
    assert codes == [302] * N
    run_jobs()
    db_session.expire_all()
    documents = db_session.query(ExternalDocument).filter_by(deal_id=jpy_deal.id).all()
    assert len(documents) == 1 and documents[0].external_id
    # one Renkei invoice, numbered once, carrying that one link
    (invoice,) = db_session.query(Document).filter_by(deal_id=jpy_deal.id).all()
    assert documents[0].document_id == invoice.id and invoice.state == "sent"
    assert db_session.query(SyncRun).filter(SyncRun.kind == "create_invoice").count() == 1
    assert len(sandbox.invoices()) == 1
    assert len(sandbox.requests_to("/invoice_template_billings", "POST")) == 1


def test_parallel_retry_of_a_failed_create_makes_one_invoice(
    app, db_session, live_server, mf, sample, jpy_deal, sandbox, run_jobs
):
    from app.services.sync import request_invoice
    from tests.sync.conftest import user

    sample["acme"].phone = "call reception"  # the provider refuses the customer
    db_session.commit()
    document, run = request_invoice(jpy_deal, mf, user(app))
    run_jobs()
    db_session.expire_all()
    failure = db_session.query(SyncFailure).filter_by(run_id=run.id).one()
    assert sandbox.invoices() == []
    company = db_session.merge(sample["acme"])
    company.phone = "03-1234-5678"
    db_session.commit()
    codes = _together(live_server.url, f"/sync/history/retry/{failure.id}")
    assert codes == [302] * N
    run_jobs()
    db_session.expire_all()
    retries = db_session.query(SyncRun).filter(SyncRun.kind == "retry").all()
    assert len(retries) == 1 and retries[0].status == "finished", [r.message for r in retries]
    assert db_session.get(ExternalDocument, document.id).external_id
    assert db_session.query(ExternalDocument).filter_by(deal_id=jpy_deal.id).count() == 1
    assert len(sandbox.invoices()) == 1


def test_parallel_refresh_makes_one_run(db_session, live_server, mf, jpy_deal, redis_conn):
    codes = _together(live_server.url, f"/dealview/refresh/{jpy_deal.id}")
    assert codes == [302] * N
    codes = _together(live_server.url, "/dealview/refresh_all")
    assert codes == [302] * N
    db_session.expire_all()
    refreshes = db_session.query(SyncRun).filter(SyncRun.kind == "refresh_statuses").all()
    assert sorted(r.deal_ids or "all" for r in refreshes) == [f"[{jpy_deal.id}]", "all"]


def test_parallel_issue_of_one_document_makes_one_provider_invoice(
    app, db_session, live_server, mf, jpy_deal, sandbox, run_jobs
):
    from app.services.documents import approvals
    from app.services.documents.issuing import from_deal
    from tests.sync.conftest import user

    invoice = from_deal(jpy_deal, user=user(app))
    approvals.submit(invoice, user(app))  # no rule applies: approved
    path = f"/invoices/issue/{invoice.id}"
    codes = _together(live_server.url, path, connection_id=str(mf.id))
    assert codes == [302] * N
    run_jobs()
    db_session.expire_all()
    (link,) = db_session.query(ExternalDocument).filter_by(document_id=invoice.id).all()
    assert link.external_id
    assert db_session.query(SyncRun).filter(SyncRun.kind == "create_invoice").count() == 1
    assert len(sandbox.invoices()) == 1


def test_parallel_confirmed_second_invoice_makes_one_more(
    app, db_session, live_server, mf, jpy_deal, sandbox, run_jobs
):
    from app.services.sync import invoice_deal
    from tests.sync.conftest import user

    first = invoice_deal(jpy_deal, mf, user(app))
    run_jobs()
    path = f"/dealview/create_invoice/{jpy_deal.id}/{mf.id}"
    codes = _together(live_server.url, path, confirm=str(first.link.document_id))
    # one was created (a redirect to its progress); the others got it or the question again
    assert all(code in (200, 302) for code in codes), codes
    run_jobs()
    db_session.expire_all()
    assert db_session.query(Document).filter_by(deal_id=jpy_deal.id).count() == 2
    assert len(sandbox.invoices()) == 2
