"""Document verbs under races: N identical requests released together over real HTTP
(the live server, one thread per request, each its own app context and session) have a
single outcome — one payment within the balance, one email, one invoice from a quote,
one approval, one credit note within the ceiling, one submit request."""

from __future__ import annotations

import re
import threading
from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa

from app.models.audit import AuditEntry
from app.models.documents import ApprovalRequest, Document, DocumentLine, Payment
from app.models.publishing import EmailDispatch
from app.services.documents import approvals, issuing, lifecycle, payments
from tests.documents.conftest import line


def bearer(live_server, username: str) -> dict:
    response = requests.post(
        f"{live_server.url}/api/v1/security/login",
        json={"username": username, "password": username, "provider": "db"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def browser(live_server, username: str) -> tuple[requests.Session, str]:
    """A signed-in browser session and a CSRF token for its forms."""
    session = requests.Session()
    page = session.get(f"{live_server.url}/login/", timeout=30).text
    token = re.search(r'id="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page
    )
    response = session.post(
        f"{live_server.url}/login/",
        data={"username": username, "password": username, "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302
    return session, token.group(1)


def together(calls) -> list:
    """Run ``calls`` (callables) at the same instant, one thread each; their results."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def api_posts(live_server, headers, url, n, body=None):
    return together(
        [
            (
                lambda: requests.post(
                    f"{live_server.url}{url}", json=body, headers=headers, timeout=60
                )
            )
            for _ in range(n)
        ]
    )


def statuses(results) -> list:
    return sorted(getattr(r, "status_code", repr(r)) for r in results)


def count(session, *where) -> int:
    session.expire_all()
    return session.execute(
        sa.select(sa.func.count()).select_from(where[0]).where(*where[1:])
    ).scalar()


@pytest.fixture()
def sent_invoice(db_session, sample, entity, users):
    """An invoice of ¥1,320 (¥1,200 + 10 %), sent."""
    doc = issuing.new_document(
        "invoice", sample["sakura"], lines=[line(price="1200")], recipient_email="a@example.com"
    )
    approvals.submit(doc, users["accounting"])
    lifecycle.move(doc, "sent")
    db_session.commit()
    assert doc.total == Decimal(1320)
    return doc


def test_ten_payments_of_the_whole_balance_record_one(db_session, live_server, sent_invoice):
    headers = bearer(live_server, "accounting")
    results = api_posts(
        live_server, headers, f"/api/v1/invoice/{sent_invoice.id}/payment", 10, {"amount": "1320"}
    )
    assert statuses(results) == [201] + [422] * 9
    assert count(db_session, Payment, Payment.document_id == sent_invoice.id) == 1
    db_session.refresh(sent_invoice)
    assert payments.balance(sent_invoice) == 0 and sent_invoice.state == "paid"


def test_six_sends_queue_one_email(db_session, live_server, sample, entity, users, mail, run_jobs):
    doc = issuing.new_document(
        "invoice", sample["sakura"], lines=[line()], recipient_email="a@example.com"
    )
    approvals.submit(doc, users["accounting"])
    url = f"{live_server.url}/invoices/send/{doc.id}"
    browsers = [browser(live_server, "accounting") for _ in range(6)]
    results = together(
        [
            (
                lambda s=s, t=t: s.post(
                    url,
                    data={"csrf_token": t},
                    allow_redirects=False,
                    timeout=60,
                )
            )
            for s, t in browsers
        ]
    )
    assert statuses(results) == [302] * 6
    assert count(db_session, EmailDispatch, EmailDispatch.document_id == doc.id) == 1
    run_jobs()
    assert len(mail.messages()) == 1


def test_six_converts_make_one_invoice(db_session, live_server, sample, entity, users):
    quote = issuing.new_document("quote", sample["sakura"], lines=[line()])
    approvals.submit(quote, users["sales"])
    headers = bearer(live_server, "accounting")
    results = api_posts(live_server, headers, f"/api/v1/quote/{quote.id}/action/convert", 6)
    assert statuses(results) == [201] + [422] * 5
    assert count(db_session, Document, Document.source_id == quote.id) == 1


def test_eight_approvals_approve_once(db_session, live_server, sample, entity, users, rules):
    doc = issuing.new_document("quote", sample["sakura"], lines=[line(price="2000000")])
    approvals.submit(doc, users["sales"])
    assert doc.state == "pending_approval"
    headers = bearer(live_server, "approver")
    results = api_posts(live_server, headers, f"/api/v1/quote/{doc.id}/action/approve", 8)
    assert statuses(results) == [200] + [422] * 7
    decided = count(
        db_session,
        AuditEntry,
        AuditEntry.document_id == doc.id,
        AuditEntry.action == "approval",
        AuditEntry.field == "decision",
    )
    assert decided == 1
    transitions = count(
        db_session,
        AuditEntry,
        AuditEntry.document_id == doc.id,
        AuditEntry.action == "transition",
        AuditEntry.new_value == "approved",
    )
    assert transitions == 1


def test_six_rejections_reject_once(db_session, live_server, sample, entity, users, rules):
    doc = issuing.new_document("quote", sample["sakura"], lines=[line(price="2000000")])
    approvals.submit(doc, users["sales"])
    headers = bearer(live_server, "approver")
    url = f"/api/v1/quote/{doc.id}/action/reject"
    results = api_posts(live_server, headers, url, 6, body={"comment": "金額を確認してください"})
    assert statuses(results) == [200] + [422] * 5
    rejected = count(
        db_session,
        AuditEntry,
        AuditEntry.document_id == doc.id,
        AuditEntry.action == "approval",
        AuditEntry.field == "decision",
    )
    assert rejected == 1
    assert db_session.get(Document, doc.id).state == "draft"


def test_four_submits_open_one_request(db_session, live_server, sample, entity, users, rules):
    doc = issuing.new_document("quote", sample["sakura"], lines=[line(price="2000000")])
    headers = bearer(live_server, "sales")
    results = api_posts(live_server, headers, f"/api/v1/quote/{doc.id}/action/submit", 4)
    assert statuses(results) == [200] + [422] * 3
    assert count(db_session, ApprovalRequest, ApprovalRequest.document_id == doc.id) == 1


def test_four_credits_make_one_credit_note(db_session, live_server, sent_invoice):
    headers = bearer(live_server, "accounting")
    results = api_posts(live_server, headers, f"/api/v1/invoice/{sent_invoice.id}/action/credit", 4)
    assert statuses(results) == [201] + [422] * 3
    notes = count(
        db_session,
        Document,
        Document.source_id == sent_invoice.id,
        Document.kind == "credit_note",
    )
    assert notes == 1


@pytest.mark.parametrize(
    ("before", "action", "state"),
    [
        ("sent", "void", "void"),
        ("sent", "write_off", "written_off"),
        ("sent", "dispute", "disputed"),
        ("disputed", "resolve", "sent"),
    ],
)
def test_four_state_moves_move_once(db_session, live_server, sent_invoice, before, action, state):
    if before != "sent":
        lifecycle.move(sent_invoice, before)
        db_session.commit()
    headers = bearer(live_server, "accounting")
    url = f"/api/v1/invoice/{sent_invoice.id}/action/{action}"
    results = api_posts(live_server, headers, url, 4, {"comment": "理由"})
    assert statuses(results) == [200] + [422] * 3
    moves = count(
        db_session,
        AuditEntry,
        AuditEntry.document_id == sent_invoice.id,
        AuditEntry.action == "transition",
        AuditEntry.new_value == state,
    )
    assert moves == (2 if state == "sent" else 1)  # "sent" once before, once by resolve


def test_four_reopens_reopen_once(db_session, live_server, sample, entity, users):
    quote = issuing.new_document("quote", sample["sakura"], lines=[line()])
    approvals.submit(quote, users["sales"])
    assert quote.state == "approved"
    headers = bearer(live_server, "sales")
    results = api_posts(live_server, headers, f"/api/v1/quote/{quote.id}/action/reopen", 4)
    assert statuses(results) == [200] + [422] * 3
    reopened = count(
        db_session,
        AuditEntry,
        AuditEntry.document_id == quote.id,
        AuditEntry.action == "transition",
        AuditEntry.new_value == "draft",
    )
    assert reopened == 1


def test_six_retries_of_a_failed_email_send_it_once(
    db_session, live_server, sample, entity, users, mail, run_jobs
):
    from app.services.documents import sending

    doc = issuing.new_document(
        "invoice", sample["sakura"], lines=[line()], recipient_email="a@example.com"
    )
    approvals.submit(doc, users["accounting"])
    mail.fail_next("tempfail")
    dispatch = sending.request_send(doc, users["accounting"])
    run_jobs()
    db_session.refresh(dispatch)
    assert dispatch.state == "failed" and mail.messages() == []
    url = f"{live_server.url}/invoices/retry_send/{dispatch.id}"
    browsers = [browser(live_server, "accounting") for _ in range(6)]
    results = together(
        [
            (
                lambda s=s, t=t: s.post(
                    url, data={"csrf_token": t}, allow_redirects=False, timeout=60
                )
            )
            for s, t in browsers
        ]
    )
    assert statuses(results) == [302] * 6
    queued = count(
        db_session,
        AuditEntry,
        AuditEntry.document_id == doc.id,
        AuditEntry.action == "send",
        AuditEntry.field == "state",
        AuditEntry.old_value == "failed",
        AuditEntry.new_value == "queued",
    )
    assert queued == 1
    run_jobs()
    assert len(mail.messages()) == 1


def test_two_credit_notes_raised_at_once_stay_within_the_invoice(
    db_session, live_server, sample, entity, users
):
    invoice = issuing.new_document(
        "invoice", sample["sakura"], lines=[line(price="100000")], recipient_email="a@b.example"
    )
    approvals.submit(invoice, users["accounting"])
    lifecycle.move(invoice, "sent")
    db_session.commit()
    first = issuing.credit_note_for(invoice, user=users["accounting"])
    first.lines[0].unit_price = Decimal(10000)
    db_session.commit()
    second = issuing.credit_note_for(invoice, user=users["accounting"])
    assert second.lines == []
    second.lines.append(DocumentLine(position=1, name="返金", unit_price=Decimal(10000)))
    db_session.commit()
    lines = [first.lines[0].id, second.lines[0].id]
    headers = bearer(live_server, "accounting")
    results = together(
        [
            (
                lambda pk=pk: requests.put(
                    f"{live_server.url}/api/v1/credit_note_line/{pk}",
                    json={"unit_price": 80000},
                    headers=headers,
                    timeout=60,
                )
            )
            for pk in lines
        ]
    )
    assert statuses(results) == [200, 422]
    db_session.expire_all()
    assert sum(db_session.get(Document, d.id).total for d in (first, second)) == Decimal(99000)
