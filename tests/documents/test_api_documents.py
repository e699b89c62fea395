"""The documents REST API: drafts created and edited, state moved only by actions, rules
answered with 422, payments on invoices, rights per profile, and an audit trail that
the API cannot alter."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.models.audit import AuditEntry
from app.models.documents import Document
from app.services.documents import issuing
from tests.documents.conftest import line


def token(client, username):
    response = client.post(
        "/api/v1/security/login",
        json={"username": username, "password": username, "provider": "db"},
    )
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


@pytest.fixture()
def api(client):
    """Call the API as a given user: api("accounting", "POST", url, json)."""
    tokens = {}

    def call(username, method, url, body=None):
        if username not in tokens:
            tokens[username] = token(client, username)
        return client.open(url, method=method, json=body, headers=tokens[username])

    return call


def test_create_a_draft_add_lines_submit_and_pay(api, sample, entity, rules, db_session):
    company = sample["sakura"].id
    made = api(
        "accounting",
        "POST",
        "/api/v1/invoice/",
        {"company": company, "recipient_name": "さくら商事 御中", "currency": "JPY"},
    )
    assert made.status_code == 201, made.get_json()
    pk = made.get_json()["id"]
    for body in (
        {"document": pk, "name": "導入支援", "unit_price": 100000, "quantity": 2},
        {"document": pk, "product": sample["lunch"].id, "quantity": 10},
    ):
        response = api("accounting", "POST", "/api/v1/invoice_line/", body)
        assert response.status_code == 201, response.get_json()
    shown = api("accounting", "GET", f"/api/v1/invoice/{pk}").get_json()["result"]
    # 200,000 at 10 % and 10,800 at 8 %: tax 20,000 + 864
    assert Decimal(str(shown["total"])) == Decimal("231664")
    assert shown["kind"] == "invoice" and shown["state"] == "draft"

    submitted = api("accounting", "POST", f"/api/v1/invoice/{pk}/action/submit")
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["result"]["state"] == "approved"
    # the state is only moved by actions; moving to sent is the send action's job
    db_session.get(Document, pk).state = "sent"
    db_session.commit()

    paid = api("accounting", "POST", f"/api/v1/invoice/{pk}/payment", {"amount": "100000"})
    assert paid.status_code == 201, paid.get_json()
    assert paid.get_json()["result"] == {
        "id": pk,
        "number": shown["number"],
        "kind": "invoice",
        "state": "partially_paid",
        "total": "231664.0000",
        "balance": "131664",
    }
    too_much = api("accounting", "POST", f"/api/v1/invoice/{pk}/payment", {"amount": 999999})
    assert too_much.status_code == 422 and "amount" in too_much.get_json()["message"]


def test_state_is_not_writable_and_sent_documents_are_locked(api, sample, entity, db_session):
    invoice = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    url = f"/api/v1/invoice/{invoice.id}"
    refused = api("accounting", "PUT", url, {"state": "paid"})
    assert refused.status_code == 422 and "state" in str(refused.get_json())
    invoice.state = "approved"
    db_session.commit()
    invoice.state = "sent"
    db_session.commit()
    locked = api("accounting", "PUT", url, {"terms": "60日"})
    assert locked.status_code == 422
    assert "編集できません" in str(locked.get_json())  # the rule's own sentence
    line_id = invoice.lines[0].id
    locked_line = api("accounting", "PUT", f"/api/v1/invoice_line/{line_id}", {"quantity": 5})
    assert locked_line.status_code == 422
    db_session.expire_all()
    assert db_session.get(Document, invoice.id).terms is None


def test_bad_input_is_a_4xx(api, sample, entity):
    invoice = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    cases = [
        ("POST", "/api/v1/invoice/", {"company": "x"}),
        ("POST", "/api/v1/invoice/", {"company": sample["sakura"].id, "currency": "XXX"}),
        ("POST", "/api/v1/invoice_line/", {"document": invoice.id, "name": "x", "quantity": -1}),
        ("POST", "/api/v1/invoice_line/", {"document": invoice.id, "tax_rate": "20%"}),
        ("POST", f"/api/v1/invoice/{invoice.id}/action/fly", {}),
        ("POST", f"/api/v1/invoice/{invoice.id}/action/reject", {"comment": 5}),
        ("POST", f"/api/v1/invoice/{invoice.id}/payment", {"amount": "abc"}),
        ("POST", f"/api/v1/invoice/{invoice.id}/payment", {"amount": 1, "paid_on": "soon"}),
        ("POST", "/api/v1/invoice/999999/action/submit", {}),
    ]
    for method, url, body in cases:
        response = api("accounting", method, url, body)
        assert 400 <= response.status_code < 500, (url, body, response.get_json())


def test_a_line_belongs_to_a_document_of_the_apis_kind(api, sample, entity):
    quote = issuing.new_document("quote", sample["sakura"], lines=[line()])
    response = api(
        "accounting", "POST", "/api/v1/invoice_line/", {"document": quote.id, "name": "x"}
    )
    assert response.status_code == 422
    assert api("accounting", "GET", f"/api/v1/invoice/{quote.id}").status_code == 404


def test_rights_per_profile(api, sample, entity, rules, users):
    big = issuing.new_document(
        "invoice", sample["sakura"], user=users["accounting"], lines=[line(price="2000000")]
    )
    assert api("accounting", "POST", f"/api/v1/invoice/{big.id}/action/submit").status_code == 200
    url = f"/api/v1/invoice/{big.id}/action/approve"
    assert api("sales", "POST", url).status_code == 403
    assert api("readonly", "POST", url).status_code == 403
    assert api("sales", "POST", "/api/v1/invoice/", {}).status_code == 403
    assert api("readonly", "GET", "/api/v1/invoice/").status_code == 200
    rejected = api("approver", "POST", f"/api/v1/invoice/{big.id}/action/reject", {})
    assert rejected.status_code == 422 and "comment" in rejected.get_json()["message"]
    assert api("approver", "POST", url).status_code == 200
    assert api("approver", "PUT", f"/api/v1/invoice/{big.id}", {"terms": "x"}).status_code == 403


def test_payments_only_on_invoices(api, sample, entity):
    quote = issuing.new_document("quote", sample["sakura"], lines=[line()])
    response = api("accounting", "POST", f"/api/v1/quote/{quote.id}/payment", {"amount": 1})
    assert response.status_code in (404, 405)


def test_the_audit_trail_cannot_be_altered_through_the_api(api, sample, entity, db_session):
    invoice = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    rows = api(
        "admin",
        "GET",
        f"/api/v1/audit_trail/?q=(filters:!((col:document_id,opr:eq,value:{invoice.id})))",
    )
    assert rows.status_code == 200, rows.get_json()
    entries = rows.get_json()["result"]
    assert entries and {e["document_number"] for e in entries} == {invoice.number}
    entry = entries[0]["id"]
    before = db_session.execute(sa.select(AuditEntry.__table__)).all()
    attempts = [
        ("POST", "/api/v1/audit_trail/", {"action": "create", "document_id": invoice.id}),
        ("PUT", f"/api/v1/audit_trail/{entry}", {"new_value": "forged"}),
        ("DELETE", f"/api/v1/audit_trail/{entry}", None),
    ]
    for method, url, body in attempts:
        for user in ("admin", "accounting"):
            assert api(user, method, url, body).status_code in (404, 405), (user, method)
    assert db_session.execute(sa.select(AuditEntry.__table__)).all() == before
    assert api("sales", "GET", "/api/v1/audit_trail/").status_code == 403
