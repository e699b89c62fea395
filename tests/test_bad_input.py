"""Each bad input a fuzzer found answering 500 now answers in words, on PostgreSQL and SQLite."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.conftest import csrf_token, login
from tests.factories import make_sample

HUGE = "99999999999999999999"  # beyond 64 bits


@pytest.fixture()
def world(any_app, any_session):
    """The sample CRM, an issuer, a sent invoice, and a JWT for the administrator."""
    from flask import current_app

    from app.models.documents import LegalEntity
    from app.services.documents import approvals, issuing, lifecycle

    sample = make_sample(any_session)
    any_session.add(LegalEntity(name="株式会社レンケイ", registration_number="T9010401123456"))
    any_session.commit()
    line = {"name": "導入支援", "unit_price": Decimal(1000), "quantity": Decimal(1)}
    sent = issuing.new_document("invoice", sample["acme"], lines=[line])
    approvals.submit(sent, current_app.appbuilder.sm.find_user(username="admin"))
    lifecycle.move(sent, "sent")
    any_session.commit()
    client = any_app.test_client()
    login_body = {"username": "admin", "password": "admin", "provider": "db", "refresh": True}
    token = client.post("/api/v1/security/login", json=login_body).get_json()["access_token"]
    return {
        "client": client,
        "headers": {"Authorization": f"Bearer {token}"},
        "company": sample["sakura"].id,
        "invoice": sent.id,
    }


BAD_REQUESTS = [
    # ids beyond 64 bits: in paths, pages and filters
    ("GET", f"/api/v1/company/{HUGE}", None, None, 404),
    ("DELETE", f"/api/v1/company/{HUGE}", None, None, 404),
    ("GET", f"/api/v1/invoice/{HUGE}", None, None, 404),
    ("POST", f"/api/v1/invoice/{HUGE}/action/submit", None, {}, 404),
    ("POST", f"/api/v1/invoice/{HUGE}/payment", None, {"amount": "1"}, 404),
    ("GET", "/api/v1/company/", f"(page:{HUGE},page_size:10)", None, 400),
    ("GET", "/api/v1/audit_trail/", f"(page:{HUGE})", None, 400),
    ("GET", "/api/v1/company/", f"(filters:!((col:name,opr:eq,value:{HUGE})))", None, 400),
    ("GET", "/api/v1/product/", f"(filters:!((col:unit_price,opr:eq,value:{HUGE})))", None, 400),
    ("GET", "/api/v1/deal/", f"(filters:!((col:company,opr:rel_o_m,value:{HUGE})))", None, 400),
    # number strings that do not parse as numbers
    ("GET", "/api/v1/product/", "(filters:!((col:unit_price,opr:gt,value:abc)))", None, 400),
    ("GET", "/api/v1/deal/", "(filters:!((col:amount,opr:gt,value:'1e99999')))", None, 400),
    ("GET", "/api/v1/deal/", "(filters:!((col:expected_close_date,opr:gt,value:nope)))", None, 400),
    # unbalanced rison
    ("GET", "/api/v1/company/", "((((", None, 400),
    ("GET", "/api/v1/company/", "(page:", None, 400),
    ("GET", "/api/v1/company/{company}", "((((", None, 400),
]


@pytest.mark.parametrize("method,path,q,body,status", BAD_REQUESTS)
def test_api_answers_bad_input_with_4xx_and_a_message(world, method, path, q, body, status):
    path = path.format(company=world["company"])
    response = world["client"].open(
        path,
        method=method,
        query_string={"q": q} if q else None,
        json=body,
        headers=world["headers"],
    )
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.get_json()["message"]


@pytest.mark.parametrize("body", [[1, 2], [], 3, None, "text"])
@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_a_json_body_that_is_not_an_object_is_a_400(world, method, body):
    path = f"/api/v1/company/{world['company']}" if method == "PUT" else "/api/v1/company/"
    response = world["client"].open(
        path,
        method=method,
        data="null" if body is None else __import__("json").dumps(body),
        content_type="application/json",
        headers=world["headers"],
    )
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.get_json()["message"] == "The body must be a JSON object."


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "sNaN", "1e400", "abc"])
def test_a_payment_amount_that_is_not_a_finite_number_is_a_422(world, amount):
    response = world["client"].post(
        f"/api/v1/invoice/{world['invoice']}/payment",
        json={"amount": amount, "paid_on": dt.date.today().isoformat()},
        headers=world["headers"],
    )
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert response.get_json()["message"] == {"amount": ["The amount is a number."]}


def test_connect_without_a_secret_says_so(any_app, any_session):
    from app.models.connection import Connection

    connection = Connection(
        provider="moneyforward",
        name="MF without a secret",
        client_id="renkei-demo",
        api_base_url="http://127.0.0.1:9/api",
        authorize_url="http://127.0.0.1:9/authorize",
        token_url="http://127.0.0.1:9/token",
    )
    any_session.add(connection)
    any_session.commit()
    try:
        client = any_app.test_client()
        login(client)
        token = csrf_token(client, "/resetmypassword/form")
        response = client.post(f"/connections/connect/{connection.id}", data={"csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "Enter the client secret before connecting." in page or "クライアント" in page
    finally:
        any_session.delete(connection)
        any_session.commit()


def test_a_template_version_page_shows(any_app, any_session):
    from flask import current_app

    from app.services.documents import templates

    admin = current_app.appbuilder.sm.find_user(username="admin")
    version = templates.propose(
        "email", "invoice", "en", "Hello from Renkei", subject="Invoice", user=admin
    )
    any_session.commit()
    client = any_app.test_client()
    login(client)
    response = client.get(f"/templates/show/{version.id}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert "Hello from Renkei" in response.get_data(as_text=True)
