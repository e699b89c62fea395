"""A company's custom fields (issue 16) in the company CSV — columns after the standard
ones, headed by the field's label — and in the REST API: read as a ``custom_fields``
object keyed by field key, written checked by the field's type (422 naming the field,
unknown keys refused) and listed in the OpenAPI document. On both databases."""

from __future__ import annotations

import json

import pytest

from app.models.audit import AuditEntry
from app.models.connection import Connection
from app.models.crm import Company
from app.models.customer_sync import CustomerSyncSetting
from tests.conftest import csrf_token, login
from tests.test_csv import read_csv

FIELDS = ["業種", "rank"]


@pytest.fixture()
def defined(any_session):
    """Two custom fields, defined by a connection's customer-sync mapping."""
    connection = Connection(
        provider="moneyforward",
        name="custom fields",
        client_id="x",
        api_base_url="https://api.example.test",
        authorize_url="https://auth.example.test",
        token_url="https://token.example.test",
    )
    any_session.add(connection)
    any_session.flush()
    rows = [{"ours": f"custom:{name}", "theirs": f"f{i}"} for i, name in enumerate(FIELDS)]
    any_session.add(CustomerSyncSetting(connection_id=connection.id, field_map=json.dumps(rows)))
    any_session.commit()
    yield FIELDS
    any_session.rollback()
    any_session.query(CustomerSyncSetting).delete()
    any_session.query(Connection).filter_by(id=connection.id).delete()
    any_session.commit()


def _companies(session):
    values = {"業種": "卸売", "rank": "=1+1"}
    stored = json.dumps(values, ensure_ascii=False)  # as services/custom_fields writes it
    first = Company(code="CF-1", name="項目 株式会社", custom_fields=stored)
    second = Company(code="CF-2", name="空欄 株式会社")
    session.add_all([first, second])
    session.commit()
    return first, second


def _token(app):
    answer = app.test_client().post(
        "/api/v1/security/login",
        json={"username": "admin", "password": "admin", "provider": "db"},
    )
    return {"Authorization": f"Bearer {answer.get_json()['access_token']}"}


def test_the_company_csv_has_the_custom_fields_after_the_standard_columns(
    any_app, any_session, defined
):
    first, second = _companies(any_session)
    client = any_app.test_client()
    login(client)
    rows = read_csv(client.get("/companyview/csv?_l_=en&_oc_CompanyView=code&_od_CompanyView=asc"))
    header = rows[0]
    assert header[-2:] == ["rank", "業種"]  # by key, after "Notes"
    assert header[-3] == "Notes"
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["CF-1"][-2:] == ["'=1+1", "卸売"]  # a formula stays text
    assert by_code["CF-2"][-2:] == ["", ""]
    assert all(len(row) == len(header) for row in rows)


def test_the_api_reads_and_writes_custom_fields_checked_by_type(any_app, any_session, defined):
    first, second = _companies(any_session)
    client = any_app.test_client()
    headers = _token(any_app)
    shown = client.get(f"/api/v1/company/{first.id}", headers=headers).get_json()
    assert shown["result"]["custom_fields"] == {"業種": "卸売", "rank": "=1+1"}
    listed = client.get("/api/v1/company/", headers=headers).get_json()
    by_id = dict(zip(listed["ids"], listed["result"], strict=True))
    assert by_id[second.id]["custom_fields"] == {"業種": None, "rank": None}

    made = client.post(
        "/api/v1/company/",
        json={"code": "CF-3", "name": "新規", "custom_fields": {"業種": " 製造 "}},
        headers=headers,
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    new = any_session.get(Company, made.get_json()["id"])
    assert json.loads(new.custom_fields) == {"業種": "製造"}

    changed = client.put(
        f"/api/v1/company/{first.id}", json={"custom_fields": {"rank": "A"}}, headers=headers
    )
    assert changed.status_code == 200, changed.get_data(as_text=True)
    any_session.expire_all()
    assert json.loads(any_session.get(Company, first.id).custom_fields) == {
        "rank": "A",
        "業種": "卸売",
    }
    trail = any_session.query(AuditEntry).filter_by(field="custom:rank", note="company CF-1")
    assert [(e.old_value, e.new_value) for e in trail] == [("=1+1", "A")]
    cleared = client.put(
        f"/api/v1/company/{first.id}", json={"custom_fields": {"rank": None}}, headers=headers
    )
    assert cleared.status_code == 200
    any_session.expire_all()
    assert json.loads(any_session.get(Company, first.id).custom_fields) == {"業種": "卸売"}

    for body, field in [
        ({"nope": "x"}, "nope"),
        ({"rank": 5}, "rank"),
        ({"rank": ["a"]}, "rank"),
        ({"rank": True}, "rank"),
        ({"業種": "two\nlines"}, "業種"),
        ({"業種": "x" * 201}, "業種"),
        ("text", "_schema"),
        ([1], "_schema"),
    ]:
        for method, url in (
            ("put", f"/api/v1/company/{first.id}"),
            ("post", "/api/v1/company/"),
        ):
            payload = {"custom_fields": body}
            if method == "post":
                payload |= {"code": "CF-9", "name": "x"}
            answer = getattr(client, method)(url, json=payload, headers=headers)
            assert answer.status_code == 422, (method, body, answer.get_data(as_text=True))
            message = answer.get_json()["message"]["custom_fields"]
            assert field in message, message
            if field != "_schema":
                assert field in message[field][0] or field == "nope"
    assert any_session.query(Company).filter_by(code="CF-9").count() == 0
    any_session.expire_all()
    assert json.loads(any_session.get(Company, first.id).custom_fields) == {"業種": "卸売"}


def test_the_openapi_document_names_custom_fields(any_app, any_session, defined):
    client = any_app.test_client()
    document = client.get("/api/v1/_openapi", headers=_token(any_app)).get_json()
    schemas = document["components"]["schemas"]
    for method in ("get", "get_list", "post", "put"):
        assert schemas[f"CompanyApi.{method}"]["properties"]["custom_fields"]["type"] == "object"


def test_the_company_form_still_writes_custom_fields(any_app, any_session, defined):
    first, _second = _companies(any_session)
    client = any_app.test_client()
    login(client)
    page = client.get(f"/companyview/show/{first.id}?_l_=en").get_data(as_text=True)
    assert "卸売" in page
    assert csrf_token(client, f"/companyview/edit/{first.id}")
