"""Money Forward emulator, every exchange checked against the spec (validate=True)."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
import requests

from app.sandbox import sandboxes_of

from .conftest import ok

SETTING = {"due_month": "next_month", "due_date": -1, "contingency_day": "keep_as_is"}


@pytest.fixture()
def department(mf) -> str:
    partner = ok(
        mf.post(
            "/partners",
            json={"name": "株式会社サンプル", "code": "P-001", "payment_deadline_setting": SETTING},
        ),
        201,
    )
    assert partner["departments"] == []
    created = ok(
        mf.post(
            f"/partners/{partner['id']}/departments",
            json={"person_name": "山田 花子", "email": "hanako@example.com", "zip": "100-0001"},
        ),
        201,
    )
    listed = ok(mf.get(f"/partners/{partner['id']}/departments"))
    assert [d["id"] for d in listed["data"]] == [created["id"]]
    return created["id"]


def new_billing(mf, department, **extra) -> dict:
    body = {"department_id": department, "billing_date": "2024-05-10", **extra}
    body.setdefault(
        "items", [{"name": "作業", "price": 1000, "quantity": 1, "excise": "ten_percent"}]
    )
    return ok(mf.post("/invoice_template_billings", json=body), 201)


def test_partner_item_and_billing_totals_per_tax_rate(mf, department):
    item = ok(
        mf.post(
            "/items",
            json={
                "name": "コンサルティング",
                "code": "I-1",
                "price": 1000,
                "excise": "ten_percent",
            },
        ),
        201,
    )
    assert item["price"] == "1000" and item["quantity"] == "1"
    billing = new_billing(
        mf,
        department,
        title="5月分",
        items=[
            {"item_id": item["id"], "name": "ignored", "quantity": 3},
            {
                "name": "軽減対象",
                "price": 333.5,
                "quantity": 1,
                "excise": "eight_percent_as_reduced_tax_rate",
            },
        ],
    )
    assert [line["name"] for line in billing["items"]] == ["コンサルティング", "軽減対象"]
    # 3000 at 10 % → 300; 333.5 rounded down to 333 at 8 % → 26.64 → 26 (round down)
    assert billing["subtotal_of_ten_percent_excise"] == "3000.0"
    assert billing["excise_price_of_ten_percent"] == "300.0"
    assert billing["excise_price_of_eight_percent_as_reduced_tax_rate"] == "26.0"
    assert (billing["subtotal_price"], billing["excise_price"]) == ("3333.0", "326.0")
    assert billing["total_price"] == "3659.0"
    # the partner's setting: end of next month, written as Money Forward writes dates
    assert billing["due_date"] == "2024/06/30"
    assert billing["payment_status"] == "未設定" and billing["billing_number"] == "1"
    assert billing["partner_name"] == "株式会社サンプル"
    assert ok(mf.get(f"/billings/{billing['id']}")) == billing


def test_list_billings_by_updated_at_across_pages(mf, department):
    ids = {new_billing(mf, department)["id"] for _ in range(5)}
    today = date.today()  # the sandbox runs in JST; allow the day either side
    window = {"range_key": "updated_at", "from": str(today - timedelta(days=1))}
    window["to"] = str(today + timedelta(days=1))
    seen, page = [], 1
    while True:
        body = ok(mf.get("/billings", params={**window, "page": page, "per_page": 2}))
        assert body["pagination"] == {
            "total_count": 5,
            "total_pages": 3,
            "per_page": 2,
            "current_page": page,
        }
        seen += [b["id"] for b in body["data"]]
        if page == body["pagination"]["total_pages"]:
            break
        page += 1
    assert sorted(seen) == sorted(ids)
    later = {"range_key": "updated_at", "from": str(today + timedelta(days=2))}
    assert ok(mf.get("/billings", params=later))["data"] == []


def test_payment_status_written_as_code_read_as_label(mf, department):
    billing = new_billing(mf, department)
    time.sleep(1.05)  # updated_at has one-second precision
    paid = ok(mf.put(f"/billings/{billing['id']}/payment_status", json={"payment_status": "2"}))
    assert paid["payment_status"] == "入金済み"
    assert paid["updated_at"] > billing["updated_at"]
    assert ok(mf.get(f"/billings/{billing['id']}"))["payment_status"] == "入金済み"
    label = mf.put(f"/billings/{billing['id']}/payment_status", json={"payment_status": "入金済み"})
    assert label.status_code == 400  # labels are read-only: the spec accepts codes only


def test_update_and_delete_billing(mf, department):
    billing = new_billing(mf, department)
    updated = ok(mf.put(f"/billings/{billing['id']}", json={"title": "改訂", "memo": "m"}))
    assert updated["title"] == "改訂"
    assert mf.delete(f"/billings/{billing['id']}").status_code == 204
    gone = mf.get(f"/billings/{billing['id']}")
    assert gone.status_code == 404 and gone.json()["errors"][0]["message"]


def test_requests_the_spec_rejects_are_refused_with_the_field_named(mf, sandbox, department):
    missing = mf.post("/partners", json={"code": "no-name"})
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["field"] == "name"
    bad_excise = mf.post("/items", json={"name": "x", "excise": "twelve_percent"})
    assert bad_excise.status_code == 400 and bad_excise.json()["errors"][0]["field"] == "excise"
    for bad in ({"per_page": 101}, {"page": 0}, {"range_key": "paid_at"}, {"from": "2024/05/01"}):
        assert mf.get("/billings", params=bad).status_code == 400, bad
    assert mf.put("/office/registration_code", json={"registration_code": "X1"}).status_code == 400
    no_excise = mf.post(
        "/invoice_template_billings",
        json={"department_id": department, "billing_date": "2024-05-10", "items": [{"name": "x"}]},
    )
    assert (
        no_excise.status_code == 400 and no_excise.json()["errors"][0]["field"] == "items[0].excise"
    )
    log = ok(sandbox.control("moneyforward", "GET", "requests"))["requests"]
    assert not [entry for entry in log if entry.get("validation_error")]


def test_due_date_is_required_without_a_partner_setting(mf):
    partner = ok(
        mf.post("/partners", json={"name": "期日なし", "departments": [{"person_name": "A"}]}), 201
    )
    response = mf.post(
        "/invoice_template_billings",
        json={"department_id": partner["departments"][0]["id"], "billing_date": "2024-05-10"},
    )
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "due_date"


def test_quote_create_list_and_convert_to_billing(mf, department):
    quote = ok(
        mf.post(
            "/quotes",
            json={
                "department_id": department,
                "quote_date": "2024-05-01",
                "expired_date": "2024-05-31",
                "items": [
                    {"name": "見積項目", "price": 5000, "quantity": 2, "excise": "ten_percent"}
                ],
            },
        ),
        201,
    )
    assert quote["total_price"] == "11000.0" and quote["order_status"] == "default"
    assert [q["id"] for q in ok(mf.get("/quotes"))["data"]] == [quote["id"]]
    renamed = ok(mf.put(f"/quotes/{quote['id']}", json={"title": "改訂見積"}))
    assert renamed["title"] == "改訂見積" and renamed["total_price"] == "11000.0"
    received = ok(mf.put(f"/quotes/{quote['id']}/order_status", json={"order_status": "2"}))
    assert received["order_status"] == "received"
    billing = ok(mf.post(f"/quotes/{quote['id']}/convert_to_billing"), 201)
    assert billing["total_price"] == "11000.0" and billing["department_id"] == department


def test_office_read_and_registration_code(mf):
    office = ok(mf.get("/office"))
    assert office["office_type"] == "法人"
    assert ok(
        mf.put("/office/registration_code", json={"registration_code": "T9999999999999"})
    ) == {"registration_code": "T9999999999999"}
    assert ok(mf.put("/office", json={"tel": "03-0000-1111"}))["tel"] == "03-0000-1111"


def test_three_writes_a_second_then_429_with_retry_after(sandbox):
    mf = sandbox.client("moneyforward")  # default settings: 3 writes a second
    statuses = [
        mf.post("/items", json={"name": f"i{n}", "excise": "ten_percent"}) for n in range(4)
    ]
    assert [r.status_code for r in statuses[:3]] == [201, 201, 201]
    limited = statuses[3]
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert ok(mf.get("/items"))["pagination"]["total_count"] == 3  # reads are not limited
    time.sleep(int(limited.headers["Retry-After"]))
    ok(mf.post("/items", json={"name": "later", "excise": "ten_percent"}), 201)


def test_validate_mode_turns_an_off_spec_response_into_a_500(mf, sandbox, department):
    billing = new_billing(mf, department)
    state = sandboxes_of(sandbox.app)["moneyforward"].state
    state["billings"][billing["id"]]["total_price"] = 1100  # a number where the spec wants text
    response = mf.get(f"/billings/{billing['id']}")
    assert response.status_code == 500
    assert "total_price" in response.text and "not of type 'string'" in response.text


def test_pdf_url_serves_a_pdf_with_the_token_only(mf, sandbox, department):
    # pdf_url is outside the spec file's paths: it answers like the API (token, 404)
    # and its PDF is not held to the JSON schema of GET /billings/{id}.
    billing = new_billing(mf, department, title="保守サポート")
    assert billing["pdf_url"].endswith(f"/api/v3/billings/{billing['id']}.pdf")
    pdf = mf.session.get(billing["pdf_url"], timeout=10)
    assert pdf.status_code == 200, pdf.text[:500]
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and b"%%EOF" in pdf.content[-32:]
    assert f"billing_{billing['billing_number']}.pdf" in pdf.headers["Content-Disposition"]
    anonymous = requests.get(billing["pdf_url"], timeout=10)
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "invalid_token"
    assert ok(mf.get(f"/billings/{billing['id']}"))["id"] == billing["id"]  # JSON still
    assert mf.get("/billings/no-such-id.pdf").status_code == 404
    quote = ok(
        mf.post(
            "/quotes",
            json={
                "department_id": department,
                "quote_date": "2024-05-01",
                "expired_date": "2024-05-31",
            },
        ),
        201,
    )
    quoted = mf.session.get(quote["pdf_url"], timeout=10)
    assert quoted.status_code == 200 and quoted.content.startswith(b"%PDF")
