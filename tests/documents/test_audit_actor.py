"""The audit trail names the person behind every door: the screen's session, the REST
API's JWT, and a job acting for a user."""

from __future__ import annotations

from app.models.audit import AuditEntry
from app.services.documents import approvals, issuing, sending
from tests.conftest import csrf_token, login
from tests.documents.conftest import line
from tests.documents.test_api_documents import token


def _trail(db_session, document, **filters):
    db_session.expire_all()
    return (
        db_session.query(AuditEntry)
        .filter_by(document_id=document.id, **filters)
        .order_by(AuditEntry.id)
        .all()
    )


def test_a_screen_edit_is_signed_by_the_signed_in_user(app, db_session, sample, entity):
    invoice = issuing.new_document("invoice", sample["sakura"], lines=[line()])
    client = app.test_client()
    login(client, "accounting")
    edit = f"/invoices/edit/{invoice.id}"
    form = {
        "csrf_token": csrf_token(client, edit),
        "legal_entity": entity.id,
        "company": sample["sakura"].id,
        "recipient_name": "画面で変えた宛名",
        "currency": "JPY",
        "language": "ja",
        "issue_date": invoice.issue_date.isoformat(),
    }
    assert client.post(edit, data=form).status_code == 302
    [entry] = _trail(db_session, invoice, action="update", field="recipient_name")
    assert (entry.username, entry.new_value) == ("accounting", "画面で変えた宛名")
    assert entry.user_id is not None


def test_rest_api_changes_are_signed_by_the_tokens_user(client, db_session, sample, entity, users):
    headers = token(client, "accounting")
    made = client.post(
        "/api/v1/invoice/",
        json={"company": sample["sakura"].id, "recipient_name": "API 御中", "currency": "JPY"},
        headers=headers,
    )
    assert made.status_code == 201, made.get_json()
    pk = made.get_json()["id"]
    added = client.post(
        "/api/v1/invoice_line/",
        json={"document": pk, "name": "導入支援", "unit_price": 1000, "quantity": 1},
        headers=headers,
    )
    assert added.status_code == 201, added.get_json()
    changed = client.put(f"/api/v1/invoice/{pk}", json={"terms": "月末締め"}, headers=headers)
    assert changed.status_code == 200, changed.get_json()
    from app.models.documents import Document

    document = db_session.get(Document, pk)
    trail = _trail(db_session, document)
    assert trail, "the API's changes are in the trail"
    assert {e.username for e in trail} == {"accounting"}
    assert {e.user_id for e in trail} == {users["accounting"].id}


def test_a_job_acting_for_a_user_is_signed_by_that_user(
    db_session, sample, entity, users, mail, run_jobs
):
    invoice = issuing.new_document(
        "invoice",
        sample["sakura"],
        user=users["accounting"],
        lines=[line()],
        recipient_email="keiri@example.com",
    )
    approvals.submit(invoice, users["accounting"])
    sending.request_send(invoice, users["accounting"])
    run_jobs()
    moved = _trail(db_session, invoice, action="transition", new_value="sent")
    assert [e.username for e in moved] == ["accounting"]
    assert "system" not in {e.username for e in _trail(db_session, invoice)}


def test_without_a_token_the_api_changes_nothing(client, sample, entity):
    response = client.put("/api/v1/invoice/1", json={"terms": "x"})
    assert response.status_code == 401
