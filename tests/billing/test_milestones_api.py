"""The billing REST API and screens: the whole milestone road and the time road over
HTTP, 4xx on bad input, N invoice requests at once over real HTTP → one invoice, the
deal page's panel, and the endpoints in the OpenAPI document."""

from __future__ import annotations

import pytest

from app.models.documents import Document
from app.services.billing import milestones
from app.services.billing import time_entries as tm
from tests.billing.test_milestones import PARTS
from tests.conftest import csrf_token, login
from tests.documents.test_races import api_posts, bearer, statuses


def _headers(client, username):
    token = client.post(
        "/api/v1/security/login",
        json={"username": username, "password": username, "provider": "db"},
    ).get_json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_the_milestone_road_over_the_api(client, deal, users):
    sales, approver, accounting = (_headers(client, n) for n in ("sales", "approver", "accounting"))
    url = f"/api/v1/milestone/deal/{deal.id}"
    assert client.get(url, headers=sales).get_json()["contract"] is None
    bad = client.post(
        url + "?_l_=en",
        json={"parts": [{"kind": "final", "name": "x", "amount": "999999"}]},
        headers=sales,
    )
    assert bad.status_code == 422 and "1" in str(bad.get_json())
    made = client.post(url, json={"parts": PARTS}, headers=sales)
    assert made.status_code == 201, made.get_json()
    design = made.get_json()["parts"][1]["id"]
    assert client.post(f"/api/v1/milestone/{design}/invoice", headers=accounting).status_code == 422
    assert client.post(f"/api/v1/milestone/{design}/done", headers=sales).status_code == 200
    assert client.post(f"/api/v1/milestone/{design}/approve", headers=sales).status_code == 403
    assert client.post(f"/api/v1/milestone/{design}/approve", headers=approver).status_code == 200
    invoiced = client.post(f"/api/v1/milestone/{design}/invoice", headers=accounting)
    assert invoiced.status_code == 201 and invoiced.get_json()["number"]
    shown = client.get(url, headers=sales).get_json()
    assert shown["contract"]["billed"] == "300000.0000"
    assert shown["contract"]["remaining"] == "700000.0000"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"parts": "x"},
        {"parts": [1]},
        {"parts": [{"kind": 1, "name": "x", "amount": 1}]},
        {"parts": [{"kind": "final", "name": "x", "amount": [1]}]},
        {"parts": [{"kind": "final", "name": "x", "amount": "1e400"}]},
        {"parts": PARTS, "tax_rate": "vat"},
    ],
)
def test_bad_contracts_are_4xx(client, deal, body):
    headers = _headers(client, "sales")
    response = client.post(f"/api/v1/milestone/deal/{deal.id}", json=body, headers=headers)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    assert client.post("/api/v1/milestone/deal/0", json=body, headers=headers).status_code == 404
    assert (
        client.post("/api/v1/milestone/99999999999999999999999/done", headers=headers).status_code
        == 404
    )


def test_the_time_road_over_the_api(client, deal, users):
    sales, accounting = _headers(client, "sales"), _headers(client, "accounting")
    entry = {
        "deal_id": deal.id,
        "work_date": "2026-11-02",
        "hours": 8,
        "rate": "10000",
        "description": "設計",
    }
    made = client.post("/api/v1/time_entry/", json=entry, headers=sales)
    assert made.status_code == 201, made.get_json()
    pk = made.get_json()["id"]
    other = client.post(
        "/api/v1/time_entry/", json={**entry, "user_id": users["admin"].id}, headers=sales
    )
    assert other.status_code == 403
    for bad in (
        {**entry, "hours": "x"},
        {**entry, "work_date": "2026-13-01"},
        {**entry, "deal_id": "a"},
        {},
    ):
        assert client.post("/api/v1/time_entry/", json=bad, headers=sales).status_code == 422
    assert client.post(f"/api/v1/time_entry/{pk}/approve", headers=sales).status_code == 403
    assert (
        client.post(f"/api/v1/time_entry/{pk}/reject", json={}, headers=accounting).status_code
        == 422
    )
    assert client.post(f"/api/v1/time_entry/{pk}/approve", headers=accounting).status_code == 200
    period = {"start": "2026-11-01", "end": "2026-11-30"}
    billed = client.post("/api/v1/time_entry/invoice", json=period, headers=accounting)
    assert billed.status_code == 201 and len(billed.get_json()["invoices"]) == 1
    again = client.post(
        "/api/v1/time_entry/invoice", json={**period, "deal_id": deal.id}, headers=accounting
    )
    assert again.get_json()["invoices"] == []
    bad = client.post(
        "/api/v1/time_entry/invoice",
        json={"start": "2026-11-30", "end": "2026-11-01"},
        headers=accounting,
    )
    assert bad.status_code == 422
    listed = client.get(f"/api/v1/time_entry/?deal_id={deal.id}&state=approved", headers=sales)
    assert [e["id"] for e in listed.get_json()["entries"]] == [pk]
    assert client.get("/api/v1/time_entry/?state=nope", headers=sales).status_code == 422


def test_n_invoice_requests_over_http_make_one_invoice(db_session, live_server, deal, users):
    contract = milestones.create_contract(deal, PARTS, users["sales"])
    deposit = contract.parts[0]
    headers = bearer(live_server, "accounting")
    results = api_posts(live_server, headers, f"/api/v1/milestone/{deposit.id}/invoice", 8)
    assert statuses(results) == [201] + [422] * 7
    db_session.expire_all()
    assert db_session.query(Document).filter_by(kind="invoice").count() == 1


def test_the_openapi_document_lists_the_endpoints(client):
    login(client, "admin")
    spec = client.get("/api/v1/_openapi").get_json()
    paths = spec["paths"]
    for path in (
        "/api/v1/milestone/deal/{pk}",
        "/api/v1/milestone/{pk}/done",
        "/api/v1/milestone/{pk}/approve",
        "/api/v1/milestone/{pk}/invoice",
        "/api/v1/time_entry/",
        "/api/v1/time_entry/{pk}/approve",
        "/api/v1/time_entry/{pk}/reject",
        "/api/v1/time_entry/invoice",
    ):
        assert path in paths, sorted(p for p in paths if "mile" in p or "time" in p)
    invoice = paths["/api/v1/milestone/{pk}/invoice"]["post"]
    assert invoice["parameters"][0]["name"] == "pk" and "422" in invoice["responses"]
    assert "401" in paths["/api/v1/time_entry/{pk}/approve"]["post"]["responses"]


def test_the_screens(app, client, deal, users):
    contract = milestones.create_contract(deal, PARTS, users["sales"])
    milestones.invoice(contract.parts[0], users["accounting"])
    entry = tm.enter(
        users["sales"],
        deal=deal,
        work_date=contract.created_at.date(),
        hours="2",
        rate="9000",
        description="打合せ",
    )
    login(client, "accounting")
    page = client.get(f"/dealview/show/{deal.id}?_l_=en").get_data(as_text=True)
    assert 'id="deal-milestones"' in page and "Remaining (not yet billed)" in page
    assert "¥700,000" in page  # remaining
    assert client.get("/milestones/list/").status_code == 200
    listing = client.get("/timeentries/list/").get_data(as_text=True)
    assert f'data-entry="{entry.id}"' in listing
    token = csrf_token(client, "/timeentries/list/")
    response = client.post(f"/timeentries/approve/{entry.id}", data={"csrf_token": token})
    assert response.status_code == 302
    client = app.test_client()
    login(client, "sales")
    assert client.get(f"/milestones/new/{deal.id}").status_code == 200
    token = csrf_token(client, "/timeentries/list/")
    refused = client.post(
        f"/milestones/done/{contract.parts[0].id}",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert refused.status_code == 200
