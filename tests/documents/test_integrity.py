"""What the document verbs must never let through: an approval of other content than was
submitted, lines moved off a sent document, credit beyond the invoice, a cookie-session
API action without a CSRF token, and a redirect off-site after an action."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.models.audit import AuditEntry
from app.models.documents import ApprovalRequest, Document, DocumentLine
from app.services.documents import approvals, issuing, lifecycle, payments
from app.services.errors import InvalidInput
from tests.conftest import csrf_token, login
from tests.documents.conftest import line
from tests.documents.test_api_documents import token


@pytest.fixture()
def api(app, db_session):
    """Call the API with a JWT as a given user: api("admin", "POST", url, json)."""
    tokens = {}
    client = app.test_client()

    def call(username, method, url, body=None):
        if username not in tokens:
            tokens[username] = token(client, username)
        return client.open(url, method=method, json=body, headers=tokens[username])

    return call


def sent_invoice(sample, users, db_session, price="100000"):
    doc = issuing.new_document(
        "invoice", sample["sakura"], lines=[line(price=price)], recipient_email="a@example.com"
    )
    approvals.submit(doc, users["accounting"])
    lifecycle.move(doc, "sent")
    db_session.commit()
    return doc


# Item 2: approval is bound to the submitter and to the content submitted.


def test_an_approval_never_approves_content_raised_after_the_request(
    api, db_session, sample, entity, users, rules
):
    quote = issuing.new_document(
        "quote", sample["sakura"], user=users["sales"], lines=[line(price="2000000")]
    )
    assert quote.total == Decimal(2_200_000)
    # sales submits (request A), then reopens the quote
    assert api("sales", "POST", f"/api/v1/quote/{quote.id}/action/submit").status_code == 200
    assert api("sales", "POST", f"/api/v1/quote/{quote.id}/action/reopen").status_code == 200
    # an admin raises the line to ¥60M and submits (request B), then approves
    line_id = quote.lines[0].id
    raised = api("admin", "PUT", f"/api/v1/quote_line/{line_id}", {"unit_price": 60_000_000})
    assert raised.status_code == 200, raised.get_json()
    assert api("admin", "POST", f"/api/v1/quote/{quote.id}/action/submit").status_code == 200
    approved = api("admin", "POST", f"/api/v1/quote/{quote.id}/action/approve")
    assert approved.status_code == 403, approved.get_json()

    db_session.expire_all()
    requests = (
        db_session.query(ApprovalRequest)
        .filter_by(document_id=quote.id)
        .order_by(ApprovalRequest.id)
        .all()
    )
    first, second = requests
    assert first.decision == "withdrawn"  # reopening closed request A
    assert second.decision is None and second.requested_by_id == users["admin"].id
    assert db_session.get(Document, quote.id).state == "pending_approval"
    # another approver decides request B, on the ¥66M it names
    assert api("approver", "POST", f"/api/v1/quote/{quote.id}/action/approve").status_code == 200
    db_session.expire_all()
    assert db_session.get(ApprovalRequest, second.id).decision == "approved"
    assert db_session.get(ApprovalRequest, first.id).decision == "withdrawn"
    assert Decimal(second.amount) == Decimal(66_000_000)


def test_whoever_wrote_the_content_cannot_approve_it_even_if_another_submitted(
    api, db_session, sample, entity, users, rules
):
    quote = issuing.new_document(
        "quote", sample["sakura"], user=users["sales"], lines=[line(price="2000000")]
    )
    # the admin (who may approve) raises the line of sales' draft; sales then submits
    line_id = quote.lines[0].id
    raised = api("admin", "PUT", f"/api/v1/quote_line/{line_id}", {"unit_price": 60_000_000})
    assert raised.status_code == 200, raised.get_json()
    assert api("sales", "POST", f"/api/v1/quote/{quote.id}/action/submit").status_code == 200
    approved = api("admin", "POST", f"/api/v1/quote/{quote.id}/action/approve")
    assert approved.status_code == 403, approved.get_json()
    assert "別の承認者が承認してください" in approved.get_json()["message"]  # in words (ja)
    db_session.expire_all()
    assert db_session.get(Document, quote.id).state == "pending_approval"
    # an approver who wrote none of it approves
    assert api("approver", "POST", f"/api/v1/quote/{quote.id}/action/approve").status_code == 200
    db_session.expire_all()
    assert db_session.get(Document, quote.id).state == "approved"


def test_a_request_whose_content_changed_is_refused_and_closed(
    db_session, sample, entity, users, rules
):
    quote = issuing.new_document("quote", sample["sakura"], lines=[line(price="2000000")])
    approvals.submit(quote, users["sales"])
    # a script edits the pending quote's line behind the rules' back (raw SQL)
    db_session.execute(
        sa.update(DocumentLine)
        .where(DocumentLine.document_id == quote.id)
        .values(unit_price=60_000_000, amount=60_000_000)
    )
    db_session.commit()
    with pytest.raises(InvalidInput):
        approvals.decide(quote, users["approver"], True)
    db_session.expire_all()
    (request,) = db_session.get(Document, quote.id).approvals
    assert request.decision == "withdrawn"
    assert db_session.get(Document, quote.id).state == "draft"


def test_editing_a_draft_closes_a_request_left_open(db_session, sample, entity, users, rules):
    quote = issuing.new_document("quote", sample["sakura"], lines=[line(price="2000000")])
    approvals.submit(quote, users["sales"])
    # a request left open on a draft (as reopen left them before it closed them)
    db_session.execute(sa.update(Document).where(Document.id == quote.id).values(state="draft"))
    db_session.commit()
    db_session.expire_all()
    quote = db_session.get(Document, quote.id)
    quote.lines[0].unit_price = Decimal(60_000_000)
    db_session.commit()
    (request,) = quote.approvals
    assert request.decision == "withdrawn"


# Item 3: lines do not move between documents once either has left draft.


def test_a_line_cannot_move_off_a_sent_invoice(api, db_session, sample, entity, users):
    invoice = sent_invoice(sample, users, db_session)
    draft = issuing.new_document("invoice", sample["sakura"], lines=[line(price="1")])
    line_id = invoice.lines[0].id
    moved = api("accounting", "PUT", f"/api/v1/invoice_line/{line_id}", {"document": draft.id})
    assert moved.status_code == 422, moved.get_json()
    db_session.expire_all()
    assert db_session.get(DocumentLine, line_id).document_id == invoice.id
    assert db_session.get(Document, invoice.id).total == Decimal(110000)


def test_a_line_cannot_move_onto_a_sent_quote(api, db_session, sample, entity, users):
    quote = issuing.new_document("quote", sample["sakura"], lines=[line()])
    approvals.submit(quote, users["sales"])
    lifecycle.move(quote, "sent")
    db_session.commit()
    draft = issuing.new_document("quote", sample["sakura"], lines=[line(price="5")])
    line_id = draft.lines[0].id
    moved = api("sales", "PUT", f"/api/v1/quote_line/{line_id}", {"document": quote.id})
    assert moved.status_code == 422, moved.get_json()
    db_session.expire_all()
    assert db_session.get(DocumentLine, line_id).document_id == draft.id


def test_a_line_moved_between_drafts_is_in_both_trails(api, db_session, sample, entity, users):
    one = issuing.new_document("invoice", sample["sakura"], lines=[line(price="100"), line()])
    two = issuing.new_document("invoice", sample["sakura"], lines=[line(price="7")])
    line_id = one.lines[0].id
    moved = api("accounting", "PUT", f"/api/v1/invoice_line/{line_id}", {"document": two.id})
    assert moved.status_code == 200, moved.get_json()
    db_session.expire_all()
    assert db_session.get(Document, one.id).total == Decimal(110000)
    assert db_session.get(Document, two.id).total == Decimal(117)
    for document in (one, two):
        entries = (
            db_session.query(AuditEntry)
            .filter_by(document_id=document.id, line_id=line_id, field="document_id")
            .all()
        )
        assert len(entries) == 1, document
        assert entries[0].old_value.endswith(f"#{one.id})") or entries[0].old_value == f"#{one.id}"
        assert str(two.id) in entries[0].new_value


# Item 6: credit notes never exceed what remains creditable.


def test_a_second_full_credit_note_is_refused(api, db_session, sample, entity, users):
    invoice = sent_invoice(sample, users, db_session)
    first = api("accounting", "POST", f"/api/v1/invoice/{invoice.id}/action/credit")
    assert first.status_code == 201
    second = api("accounting", "POST", f"/api/v1/invoice/{invoice.id}/action/credit")
    assert second.status_code == 422, second.get_json()
    notes = db_session.query(Document).filter_by(source_id=invoice.id).count()
    assert notes == 1


def test_a_credit_note_line_above_the_invoice_is_refused(api, db_session, sample, entity, users):
    invoice = sent_invoice(sample, users, db_session)
    made = api("accounting", "POST", f"/api/v1/invoice/{invoice.id}/action/credit").get_json()
    note = db_session.get(Document, made["result"]["id"])
    raised = api(
        "accounting", "PUT", f"/api/v1/credit_note_line/{note.lines[0].id}", {"unit_price": 1000000}
    )
    assert raised.status_code == 422, raised.get_json()
    added = api(
        "accounting",
        "POST",
        "/api/v1/credit_note_line/",
        {"document": note.id, "name": "追加", "unit_price": 1, "quantity": 1},
    )
    assert added.status_code == 422, added.get_json()
    db_session.expire_all()
    assert db_session.get(Document, note.id).total == Decimal(110000)


def test_a_partial_credit_leaves_only_the_rest_creditable(api, db_session, sample, entity, users):
    invoice = sent_invoice(sample, users, db_session)
    made = api("accounting", "POST", f"/api/v1/invoice/{invoice.id}/action/credit").get_json()
    note = db_session.get(Document, made["result"]["id"])
    lowered = api(
        "accounting", "PUT", f"/api/v1/credit_note_line/{note.lines[0].id}", {"unit_price": 40000}
    )
    assert lowered.status_code == 200, lowered.get_json()
    second = api("accounting", "POST", f"/api/v1/invoice/{invoice.id}/action/credit")
    assert second.status_code == 201, second.get_json()
    other = second.get_json()["result"]["id"]
    too_much = api(
        "accounting",
        "POST",
        "/api/v1/credit_note_line/",
        {
            "document": other,
            "name": "返金",
            "unit_price": 66001,
            "quantity": 1,
            "tax_rate": "exempt",
        },
    )
    assert too_much.status_code == 422, too_much.get_json()
    enough = api(
        "accounting",
        "POST",
        "/api/v1/credit_note_line/",
        {
            "document": other,
            "name": "返金",
            "unit_price": 66000,
            "quantity": 1,
            "tax_rate": "exempt",
        },
    )
    assert enough.status_code == 201, enough.get_json()
    db_session.expire_all()
    assert payments.balance(db_session.get(Document, invoice.id)) == Decimal(110000)


# Item 14: CSRF on the cookie-session API, and where "next" may lead.


def test_a_cookie_session_api_action_needs_a_csrf_token(app, db_session, sample, entity, users):
    invoice = sent_invoice(sample, users, db_session)
    client = app.test_client()
    login(client, "accounting")
    url = f"/api/v1/invoice/{invoice.id}/action/void"
    forged = client.post(url, data={"comment": "x"})
    assert forged.status_code in (400, 403), forged.status_code
    paid = client.post(f"/api/v1/invoice/{invoice.id}/payment", json={"amount": "1"})
    assert paid.status_code in (400, 403), paid.status_code
    db_session.expire_all()
    assert db_session.get(Document, invoice.id).state == "sent"
    token = csrf_token(client, "/resetmypassword/form")
    honest = client.post(url, json={"comment": "誤発行"}, headers={"X-CSRFToken": token})
    assert honest.status_code == 200, honest.get_json()
    db_session.expire_all()
    assert db_session.get(Document, invoice.id).state == "void"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "/\t/evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/%09/evil.example",
    ],
)
def test_next_after_an_action_stays_on_this_site(app, db_session, sample, entity, users, target):
    invoice = sent_invoice(sample, users, db_session)
    client = app.test_client()
    login(client, "accounting")
    response = client.post(
        f"/invoices/act/{invoice.id}",
        data={
            "action": "dispute",
            "next": target,
            "csrf_token": csrf_token(client, "/resetmypassword/form"),
        },
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.endswith(f"/invoices/show/{invoice.id}"), location


def test_a_same_site_next_is_followed(app, db_session, sample, entity, users):
    invoice = sent_invoice(sample, users, db_session)
    client = app.test_client()
    login(client, "accounting")
    response = client.post(
        f"/invoices/act/{invoice.id}",
        data={
            "action": "dispute",
            "next": "/approvals/list/?x=1",
            "csrf_token": csrf_token(client, "/resetmypassword/form"),
        },
    )
    assert response.headers["Location"].endswith("/approvals/list/?x=1")
