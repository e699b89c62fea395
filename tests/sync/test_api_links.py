"""The provider-links REST API: invoice a deal, issue a document, read links and a deal's
documents; rights and bad input answer 4xx with a sentence, never 5xx."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.models.documents import Document
from app.models.sync import ExternalDocument
from app.services.documents import approvals, issuing
from tests.sync.conftest import user


@pytest.fixture()
def api(app, db_session):
    """``api(method, url, json=None, as_=login)`` → (status, json) with a JWT bearer."""
    tokens = {}

    def call(method, url, json=None, as_="admin"):
        client = app.test_client()
        if as_ not in tokens:
            answer = client.post(
                "/api/v1/security/login",
                json={"username": as_, "password": as_, "provider": "db"},
            )
            tokens[as_] = answer.get_json()["access_token"]
        response = client.open(
            f"/api/v1{url}",
            method=method,
            query_string={"_l_": "en"},
            json=json,
            headers={"Authorization": f"Bearer {tokens[as_]}"},
        )
        assert response.status_code < 500, response.get_data(as_text=True)
        return response.status_code, response.get_json()

    return call


def test_invoice_a_deal_read_its_links_and_confirm_another(
    app, db_session, api, mf, jpy_deal, sandbox, run_jobs
):
    status, body = api("POST", f"/deal/{jpy_deal.id}/invoice", {"connection_id": mf.id})
    assert status == 202, body
    document = body["document"]
    assert document["kind"] == "invoice" and document["state"] == "approved"
    assert document["number"].startswith("INV-") and document["total"] == "132000.0000"
    assert body["run_id"] and not body["awaiting_approval"]
    assert body["link"]["billing_status"] == "pending" and body["link"]["open_url"] is None
    run_jobs()

    status, body = api("GET", f"/document/{document['id']}/links")
    assert status == 200, body
    (link,) = body["result"]["links"]
    assert link["provider"] == "moneyforward" and link["connection"]["id"] == mf.id
    assert link["external_id"] and link["number"] and link["last_pushed_at"]
    assert link["billing_status"] == "draft" and link["billing_status_label"] == "Draft"
    assert link["open_url"] == f"/dealview/provider_document/{link['id']}"
    assert link["total"] == "132000.0000" and link["last_error"] is None

    status, body = api("GET", f"/deal/{jpy_deal.id}/documents")
    assert status == 200
    (listed,) = body["result"]
    assert listed["id"] == document["id"] and listed["balance"] == "132000"
    assert [x["id"] for x in listed["links"]] == [link["id"]]

    # the deal is invoiced for its full amount: a second one needs a confirmation
    status, body = api("POST", f"/deal/{jpy_deal.id}/invoice", {"connection_id": mf.id})
    assert status == 409, body
    assert body["newest_id"] == document["id"]
    assert body["existing"] == [
        {
            "id": document["id"],
            "number": document["number"],
            "total": "132000.0000",
            "currency": "JPY",
            "state": "sent",  # issued at the provider
        }
    ]
    assert "already invoiced" in body["message"]
    confirmed = {"connection_id": mf.id, "confirm": body["newest_id"]}
    status, body = api("POST", f"/deal/{jpy_deal.id}/invoice", confirmed)
    assert status == 202 and body["document"]["id"] != document["id"]
    assert db_session.query(Document).filter_by(deal_id=jpy_deal.id).count() == 2


def test_issue_an_approved_document_at_a_connection(
    app, db_session, api, mf, sample, sandbox, run_jobs
):
    line = {"name": "導入支援", "unit_price": Decimal(1000), "quantity": Decimal(1)}
    doc = issuing.new_document("invoice", sample["acme"], lines=[line])
    approvals.submit(doc, user(app, "accounting"))
    db_session.commit()
    status, body = api("POST", f"/document/{doc.id}/issue", {"connection_ids": [mf.id, mf.id]})
    assert status == 202, body
    (issued,) = body["result"]
    assert issued["connection_id"] == mf.id and issued["run_id"]
    run_jobs()
    assert len(sandbox.invoices()) == 1
    status, again = api("POST", f"/document/{doc.id}/issue", {"connection_ids": [mf.id]})
    assert status == 202 and again["result"][0]["run_id"] is None  # issued already
    assert again["result"][0]["link"]["external_id"]
    assert len(sandbox.invoices()) == 1


def test_bad_input_is_refused_in_words(app, db_session, api, mf, jpy_deal, sample):
    draft = issuing.new_document(
        "invoice", sample["acme"], lines=[{"name": "x", "unit_price": 1, "quantity": 1}]
    )
    db_session.commit()
    invoice = f"/deal/{jpy_deal.id}/invoice"
    for body in ({}, {"connection_id": "1"}, {"connection_id": True}, {"connection_id": 2**70}):
        status, answer = api("POST", invoice, body)
        assert status == 422 and answer["message"]["connection_id"], (body, answer)
    status, answer = api("POST", invoice, {"connection_id": 99999})
    assert status == 422 and "No connection 99999" in answer["message"]["connection_id"][0]
    status, answer = api("POST", invoice, {"connection_id": mf.id, "confirm": "yes"})
    assert status == 422 and answer["message"]["confirm"]
    status, answer = api("POST", invoice, [1])
    assert status == 400
    assert api("POST", "/deal/999999/invoice", {"connection_id": mf.id})[0] == 404
    assert api("POST", f"/deal/{2**64}/invoice", {"connection_id": mf.id})[0] == 404

    issue = f"/document/{draft.id}/issue"
    for body in ({}, {"connection_ids": []}, {"connection_ids": mf.id}, {"connection_ids": ["a"]}):
        status, answer = api("POST", issue, body)
        assert status == 422 and answer["message"]["connection_ids"], (body, answer)
    status, answer = api("POST", issue, {"connection_ids": [mf.id]})
    assert status == 422 and "not approved yet" in answer["message"]["state"][0]
    assert api("POST", "/document/999999/issue", {"connection_ids": [mf.id]})[0] == 404
    assert api("GET", "/document/999999/links")[0] == 404
    assert api("GET", "/deal/999999/documents")[0] == 404

    # a connection that takes other deal types, or invoices in another currency
    from app.models.crm import DealType

    other = DealType(code="other", name="other")
    mf.deal_types = [other]
    db_session.commit()
    status, answer = api("POST", invoice, {"connection_id": mf.id})
    assert status == 422 and "not sent to" in answer["message"]["deal_type"][0]
    mf.deal_types = []
    mf.base_currency = "USD"
    db_session.commit()
    status, answer = api("POST", invoice, {"connection_id": mf.id})
    assert status == 422 and "invoices in USD" in answer["message"]["currency"][0]
    mf.base_currency = "JPY"
    mf.status = "disabled"  # a connection that cannot take documents
    db_session.commit()
    status, answer = api("POST", invoice, {"connection_id": mf.id})
    assert status == 422 and "not active" in answer["message"]["_schema"][0]
    assert db_session.query(ExternalDocument).count() == 0


def test_rights(app, db_session, api, mf, jpy_deal, sample):
    doc = issuing.new_document(
        "invoice", sample["acme"], lines=[{"name": "x", "unit_price": 1, "quantity": 1}]
    )
    db_session.commit()
    for login in ("readonly", "sales", "accounting", "approver"):  # no create_at_provider
        status, answer = api(
            "POST", f"/deal/{jpy_deal.id}/invoice", {"connection_id": mf.id}, login
        )
        assert status == 403, (login, answer)
        status, answer = api(
            "POST", f"/document/{doc.id}/issue", {"connection_ids": [mf.id]}, login
        )
        assert status == 403, (login, answer)
        assert api("GET", f"/document/{doc.id}/links", as_=login)[0] == 200
        assert api("GET", f"/deal/{jpy_deal.id}/documents", as_=login)[0] == 200
    assert app.test_client().get(f"/api/v1/document/{doc.id}/links").status_code == 401


def test_reading_needs_read_on_the_kind(app, db_session, api, sample):
    """A profile without read on invoices sees no invoice, nor its links."""
    sm = app.appbuilder.sm
    role = sm.add_role("QuotesOnly")
    for pair in (("can_read", "Quote"), ("can_read", "Deal")):
        sm.add_permission_role(role, sm.find_permission_view_menu(*pair))
    person = sm.find_user(username="quotes_only") or sm.add_user(
        "quotes_only", "Q", "O", "q@example.com", role, password="quotes_only"
    )
    try:
        line = {"name": "x", "unit_price": 1, "quantity": 1}
        deal = sample["with_lines"]
        invoice = issuing.new_document("invoice", sample["acme"], lines=[line], deal=deal)
        quote = issuing.new_document("quote", sample["acme"], lines=[line], deal=deal)
        db_session.commit()
        assert api("GET", f"/document/{invoice.id}/links", as_="quotes_only")[0] == 403
        assert api("GET", f"/document/{quote.id}/links", as_="quotes_only")[0] == 200
        status, body = api("GET", f"/deal/{deal.id}/documents", as_="quotes_only")
        assert status == 200 and [d["id"] for d in body["result"]] == [quote.id]
    finally:
        db_session.rollback()
        db_session.delete(db_session.merge(person))
        db_session.delete(db_session.merge(role))
        db_session.commit()


def test_a_deal_under_an_approval_rule_waits(app, db_session, api, mf, jpy_deal):
    from app.models.documents import ApprovalRule

    db_session.add(ApprovalRule(name="all", currency="JPY", min_amount=Decimal(1)))
    db_session.commit()
    status, body = api("POST", f"/deal/{jpy_deal.id}/invoice", {"connection_id": mf.id})
    assert status == 202, body
    assert body["awaiting_approval"] and body["run_id"] is None
    assert body["document"]["state"] == "pending_approval"
    assert body["link"]["billing_status"] == "awaiting_approval"


def test_a_cookie_session_needs_the_csrf_token(app, db_session, admin_client, mf, jpy_deal):
    from tests.conftest import csrf_token

    url = f"/api/v1/deal/{jpy_deal.id}/invoice"
    refused = admin_client.post(url, json={"connection_id": mf.id})
    assert refused.status_code == 400 and "CSRF" in refused.get_data(as_text=True)
    assert db_session.query(Document).count() == 0
    token = csrf_token(admin_client, "/resetmypassword/form")
    answer = admin_client.post(url, json={"connection_id": mf.id}, headers={"X-CSRFToken": token})
    assert answer.status_code == 202, answer.get_data(as_text=True)
    links = admin_client.get(f"/api/v1/document/{answer.get_json()['document']['id']}/links")
    assert links.status_code == 200
