"""The human page, persistence to state_path, and mounting into a host app."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from flask import Flask

from app.sandbox import create_sandbox_app, register_sandboxes

from .conftest import DEMO_CLIENT, FREEE_COMPANY, Served, ok


def page(sandbox, provider) -> str:
    response = requests.get(f"{sandbox.url}/sandbox/{provider}/", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    return response.text


def post_form(sandbox, provider, endpoint, **data) -> requests.Response:
    url = f"{sandbox.url}/sandbox/{provider}/_sandbox/{endpoint}"
    response = requests.post(url, data=data, allow_redirects=False, timeout=10)
    assert response.status_code == 303, response.text
    return response


def mf_billing(mf) -> dict:
    body = {"name": "ページ確認株式会社", "departments": [{"person_name": "担当"}]}
    department = ok(mf.post("/partners", json=body), 201)["departments"][0]["id"]
    billing = {"department_id": department, "billing_date": "2024-05-10", "due_date": "2024-05-31"}
    billing["items"] = [{"name": "作業", "price": 1000, "quantity": 1, "excise": "ten_percent"}]
    return ok(mf.post("/invoice_template_billings", json=billing), 201)


def test_page_lists_documents_and_mark_paid_and_delete_buttons_work(sandbox, mf, zoho):
    billing = mf_billing(mf)
    html = page(sandbox, "moneyforward")
    assert "ページ確認株式会社" in html and billing["total_price"] in html
    assert "入金済みにする / Mark paid" in html and "削除 / Delete" in html
    post_form(sandbox, "moneyforward", f"documents/{billing['id']}/status", status="paid")
    assert ok(mf.get(f"/billings/{billing['id']}"))["payment_status"] == "入金済み"
    post_form(sandbox, "moneyforward", f"documents/{billing['id']}/delete")
    assert mf.get(f"/billings/{billing['id']}").status_code == 404

    contact = ok(zoho.post("/contacts", json={"contact_name": "Page Co"}), 201)["contact"]
    lines = [{"name": "x", "rate": 100, "quantity": 1}]
    invoice = ok(
        zoho.post("/invoices", json={"customer_id": contact["contact_id"], "line_items": lines}),
        201,
    )
    invoice_id = invoice["invoice"]["invoice_id"]
    assert invoice["invoice"]["invoice_number"] in page(sandbox, "zoho")
    post_form(sandbox, "zoho", f"documents/{invoice_id}/status", status="paid")
    paid = ok(zoho.get(f"/invoices/{invoice_id}"))["invoice"]
    assert paid["status"] == "paid" and paid["balance"] == 0


def test_page_control_json_for_freee_status(sandbox, freee):
    url = sandbox.url + "/sandbox/freee/api/1/partners"
    partner = ok(freee.session.post(url, json={"company_id": FREEE_COMPANY, "name": "P"}), 201)
    body = {
        "company_id": FREEE_COMPANY,
        "partner_id": partner["partner"]["id"],
        "partner_title": "様",
    }
    body.update(billing_date="2024-05-10", tax_entry_method="out", tax_fraction="round")
    body.update(
        withholding_tax_entry_method="out",
        lines=[{"quantity": 1, "unit_price": "100", "tax_rate": 10}],
    )
    invoice = ok(freee.post("/invoices", json=body), 201)["invoice"]
    changed = ok(
        sandbox.control(
            "freee", "POST", f"documents/{invoice['id']}/status", json={"status": "paid"}
        )
    )
    assert changed["document"]["payment_status"] == "settled"
    shown = ok(freee.get(f"/invoices/{invoice['id']}", params={"company_id": FREEE_COMPANY}))
    assert shown["invoice"]["payment_status"] == "settled"
    assert sandbox.control("freee", "DELETE", f"documents/{invoice['id']}").status_code == 204


def test_page_loads_nothing_from_outside_and_injects_faults(sandbox, mf):
    mf_billing(mf)
    for provider in ("moneyforward", "zoho", "freee"):
        html = page(sandbox, provider)
        assert not re.findall(r"https?://", html), provider
        assert not re.findall(r"<(script|link)\b", html, re.I), provider
    post_form(sandbox, "zoho", "faults", kind="500", count="1", path="", method="")
    assert "500×1" in page(sandbox, "zoho")
    post_form(sandbox, "zoho", "faults/clear")
    assert "500×1" not in page(sandbox, "zoho")


def test_state_is_written_and_reloaded_from_state_path(tmp_path):
    path = tmp_path / "sandbox-state.json"
    first = Served(create_sandbox_app(state_path=path))
    try:
        token = first.token("moneyforward")
        mf = first.client("moneyforward")
        billing = mf_billing(mf)
    finally:
        first.close()
    assert path.exists() and billing["id"] in path.read_text(encoding="utf-8")
    second = Served(create_sandbox_app(state_path=path))
    try:
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        url = f"{second.url}/sandbox/moneyforward/api/v3/billings/{billing['id']}"
        reloaded = ok(requests.get(url, headers=headers, timeout=10))  # the token survived too
        assert reloaded["total_price"] == billing["total_price"]
    finally:
        second.close()


def test_register_into_a_host_app_with_csrf_exemptions():
    flask_wtf = pytest.importorskip("flask_wtf.csrf")
    host = Flask("host")
    host.config.update(SECRET_KEY="x" * 32, WTF_CSRF_ENABLED=True)
    csrf = flask_wtf.CSRFProtect(host)
    blueprints = register_sandboxes(host)
    assert {bp.name for bp in blueprints} == {
        "sandbox_moneyforward",
        "sandbox_zoho",
        "sandbox_freee",
    }
    client = host.test_client()
    url = "/sandbox/zoho/_sandbox/tokens"
    assert client.post(url, json={"client_id": DEMO_CLIENT[0]}).status_code == 400  # CSRF
    for blueprint in blueprints:
        csrf.exempt(blueprint)
    assert client.post(url, json={"client_id": DEMO_CLIENT[0]}).status_code == 200


def test_concurrent_writes_and_reads_are_consistent(sandbox, mf):
    def create(n):
        return mf.post("/items", json={"name": f"item-{n}", "excise": "ten_percent"}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(create, range(24)))
        listed = list(pool.map(lambda _: mf.get("/items").status_code, range(8)))
    assert created == [201] * 24 and listed == [200] * 8
    assert ok(mf.get("/items"))["pagination"]["total_count"] == 24
