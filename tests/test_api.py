"""REST API: CRUD, validation answered with 4xx and a message, OpenAPI served."""

from decimal import Decimal

import prison


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_openapi_document_lists_every_model(client, api_token):
    response = client.get("/api/v1/_openapi", headers=auth(api_token))
    assert response.status_code == 200
    paths = response.get_json()["paths"]
    for resource in ("company", "contact", "product", "deal_type", "deal", "deal_line"):
        assert f"/api/v1/{resource}/" in paths, resource
        assert f"/api/v1/{resource}/{{pk}}" in paths, resource


def test_api_requires_a_token(client, sample):
    assert client.get("/api/v1/deal/").status_code == 401


def test_list_deals_with_filter(client, api_token, sample):
    q = prison.dumps({"filters": [{"col": "stage", "opr": "eq", "value": "won"}]})
    response = client.get(f"/api/v1/deal/?q={q}", headers=auth(api_token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["count"] == 1
    assert body["result"][0]["title"] == "Annual support"
    assert Decimal(str(body["result"][0]["amount"])) == Decimal("12000.5")


def test_create_deal_and_line_derives_amount(client, api_token, sample, db_session):
    response = client.post(
        "/api/v1/deal/",
        headers=auth(api_token),
        json={
            "title": "API deal",
            "company": sample["sakura"].id,
            "stage": "qualified",
            "currency": "JPY",
        },
    )
    assert response.status_code == 201, response.get_json()
    deal_id = response.get_json()["id"]
    response = client.post(
        "/api/v1/deal_line/",
        headers=auth(api_token),
        json={
            "deal": deal_id,
            "position": 1,
            "name": "作業",
            "unit_price": "12000",
            "quantity": "3",
            "discount_percent": "0",
            "tax_rate": "standard_10",
        },
    )
    assert response.status_code == 201, response.get_json()
    shown = client.get(f"/api/v1/deal/{deal_id}", headers=auth(api_token)).get_json()
    assert Decimal(str(shown["result"]["amount"])) == Decimal("36000")
    assert shown["result"]["probability"] == 30


def test_bad_input_gets_422_with_a_message(client, api_token, sample, db_session):
    cases = [
        (
            "deal_line",
            {
                "deal": sample["with_lines"].id,
                "name": "x",
                "unit_price": "1",
                "quantity": "-1",
                "tax_rate": "standard_10",
            },
            "quantity",
        ),
        (
            "deal_line",
            {
                "deal": sample["with_lines"].id,
                "name": "x",
                "unit_price": "1",
                "quantity": "1",
                "tax_rate": "twelve",
            },
            "tax_rate",
        ),
        (
            "company",
            {"code": "C-77", "name": "x", "invoice_registration_number": "T2835678256246"},
            "invoice_registration_number",
        ),
        ("deal", {"title": "x", "company": sample["sakura"].id, "stage": "maybe"}, "stage"),
        ("product", {"code": "P-9", "name": "x", "unit_price": "-3"}, "unit_price"),
    ]
    for resource, payload, field in cases:
        response = client.post(f"/api/v1/{resource}/", headers=auth(api_token), json=payload)
        assert response.status_code == 422, (resource, response.get_json())
        assert field in response.get_json()["message"], response.get_json()


def test_duplicate_code_is_422_not_500(client, api_token, sample):
    response = client.post(
        "/api/v1/company/", headers=auth(api_token), json={"code": "C-1", "name": "dup"}
    )
    assert response.status_code == 422
    assert "already exists" in str(response.get_json()["message"])


def test_not_json_is_400(client, api_token, sample):
    response = client.post(
        "/api/v1/company/",
        headers=auth(api_token),
        data="code=1",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400


def test_delete_company_in_use_is_422(client, api_token, sample):
    response = client.delete(f"/api/v1/company/{sample['sakura'].id}", headers=auth(api_token))
    assert response.status_code == 422
