"""Zoho Invoice emulator: organisation, contacts, invoices, statuses, paging, limits."""

from __future__ import annotations

import json
import time

import pytest

from .conftest import ZOHO_ORG, ok

TAX_10, TAX_8 = "460000000000101", "460000000000102"


@pytest.fixture()
def customer(zoho) -> str:
    body = ok(
        zoho.post("/contacts", json={"contact_name": "ACME 株式会社", "email": "ap@acme.example"}),
        201,
    )
    assert body["code"] == 0 and body["message"] == "The contact has been added."
    return body["contact"]["contact_id"]


def new_invoice(zoho, customer, **extra) -> dict:
    lines = [{"name": "開発作業", "rate": 10000, "quantity": 2, "tax_id": TAX_10}]
    body = {"customer_id": customer, "line_items": lines, **extra}
    return ok(zoho.post("/invoices", json=body), 201)["invoice"]


def test_organization_id_is_required(zoho):
    missing = zoho.get("/contacts", org=False)
    assert missing.status_code == 400 and missing.json()["code"] != 0
    unknown = zoho.get("/contacts", params={"organization_id": "999"}, org=False)
    assert unknown.status_code == 400 and unknown.json()["code"] != 0
    header = zoho.get(
        "/contacts", org=False, headers={"X-com-zoho-invoice-organizationid": ZOHO_ORG}
    )
    assert ok(header)["code"] == 0
    assert (
        ok(zoho.get("/organizations", org=False))["organizations"][0]["organization_id"] == ZOHO_ORG
    )


def test_contact_and_invoice_with_totals_per_tax(zoho, customer):
    invoice = new_invoice(
        zoho,
        customer,
        reference_number="DEAL-42",
        date="2024-05-10",
        due_date="2024-06-30",
        line_items=[
            {"name": "開発作業", "rate": 10000, "quantity": 2, "tax_id": TAX_10},
            {"name": "お弁当", "rate": 1080.5, "quantity": 1, "tax_id": TAX_8},
        ],
    )
    assert invoice["status"] == "draft" and invoice["invoice_number"] == "INV-000001"
    assert invoice["customer_name"] == "ACME 株式会社" and invoice["reference_number"] == "DEAL-42"
    assert invoice["sub_total"] == 21081  # 1080.5 rounds half up to 1081 (JPY)
    assert invoice["tax_total"] == 2000 + 86  # 8 % of 1081 = 86.48 → 86
    assert invoice["total"] == invoice["balance"] == 23167
    assert [t["tax_amount"] for t in invoice["taxes"]] == [2000, 86]
    got = ok(zoho.get(f"/invoices/{invoice['invoice_id']}"))
    assert got["code"] == 0 and got["invoice"]["total"] == 23167


def test_missing_customer_is_refused_with_a_code(zoho):
    response = zoho.post("/invoices", json={"line_items": [{"name": "x", "rate": 1}]})
    body = response.json()
    assert response.status_code == 400 and body["code"] != 0 and "customer_id" in body["message"]
    form = zoho.post("/contacts", data={"JSONString": json.dumps({"contact_name": "Form Co"})})
    assert ok(form, 201)["contact"]["contact_name"] == "Form Co"
    duplicate = zoho.post("/contacts", json={"contact_name": "Form Co"})
    assert duplicate.status_code == 400 and duplicate.json()["code"] == 3062


def test_mark_sent_then_void(zoho, customer):
    invoice_id = new_invoice(zoho, customer)["invoice_id"]
    sent = ok(zoho.post(f"/invoices/{invoice_id}/status/sent"))
    assert sent == {"code": 0, "message": "Invoice status has been changed to Sent."}
    assert ok(zoho.get(f"/invoices/{invoice_id}"))["invoice"]["status"] == "sent"
    ok(zoho.post(f"/invoices/{invoice_id}/status/void"))
    voided = ok(zoho.get(f"/invoices/{invoice_id}"))["invoice"]
    assert voided["status"] == "void" and voided["balance"] == 0
    again = zoho.post(f"/invoices/{invoice_id}/status/sent")
    assert again.status_code == 400 and again.json()["code"] != 0


def test_email_marks_a_draft_sent(zoho, customer):
    invoice_id = new_invoice(zoho, customer)["invoice_id"]
    emailed = ok(
        zoho.post(f"/invoices/{invoice_id}/email", json={"to_mail_ids": ["ap@acme.example"]})
    )
    assert emailed["message"] == "Your invoice has been sent."
    invoice = ok(zoho.get(f"/invoices/{invoice_id}"))["invoice"]
    assert invoice["status"] == "sent" and invoice["is_emailed"] is True


def test_list_by_last_modified_time_with_paging(zoho, customer):
    before = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    ids = [new_invoice(zoho, customer)["invoice_id"] for _ in range(5)]
    params = {"last_modified_time": before, "sort_column": "last_modified_time", "per_page": 2}
    seen, page = [], 1
    while True:
        body = ok(zoho.get("/invoices", params={**params, "page": page}))
        assert body["page_context"]["page"] == page and body["page_context"]["per_page"] == 2
        seen += [invoice["invoice_id"] for invoice in body["invoices"]]
        assert "line_items" not in body["invoices"][0]  # list pages carry summaries
        if not body["page_context"]["has_more_page"]:
            break
        page += 1
    assert page == 3 and sorted(seen) == sorted(ids)
    future = {"last_modified_time": "2999-01-01T00:00:00+0900"}
    assert ok(zoho.get("/invoices", params=future))["invoices"] == []
    assert (
        ok(zoho.get("/invoices", params={"status": "draft"}))["page_context"]["has_more_page"]
        is False
    )
    assert zoho.get("/invoices", params={"per_page": 201}).status_code == 400


def test_estimates_create_get_list(zoho, customer):
    lines = [{"name": "見積", "rate": 5000, "quantity": 1, "tax_id": TAX_10}]
    estimate = ok(zoho.post("/estimates", json={"customer_id": customer, "line_items": lines}), 201)
    estimate = estimate["estimate"]
    assert estimate["estimate_number"] == "EST-000001" and estimate["total"] == 5500
    assert ok(zoho.get(f"/estimates/{estimate['estimate_id']}"))["estimate"]["status"] == "draft"
    assert [e["estimate_id"] for e in ok(zoho.get("/estimates"))["estimates"]] == [
        estimate["estimate_id"]
    ]
    ok(zoho.post(f"/estimates/{estimate['estimate_id']}/status/sent"))


def test_items_crud(zoho):
    item = ok(zoho.post("/items", json={"name": "保守", "rate": 30000, "tax_id": TAX_10}), 201)[
        "item"
    ]
    assert item["rate"] == 30000 and item["tax_percentage"] == 10
    updated = ok(zoho.put(f"/items/{item['item_id']}", json={"rate": 32000}))["item"]
    assert updated["rate"] == 32000
    assert ok(zoho.delete(f"/items/{item['item_id']}"))["code"] == 0
    assert zoho.get(f"/items/{item['item_id']}").status_code == 404


def test_requests_per_minute_per_organisation(sandbox, zoho):
    settings = ok(sandbox.control("zoho", "GET", "settings"))["settings"]
    assert settings["requests_per_minute"] == 100
    ok(sandbox.control("zoho", "POST", "settings", json={"requests_per_minute": 3}))
    statuses = [zoho.get("/contacts").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = zoho.get("/contacts")
    assert limited.json()["code"] != 0 and int(limited.headers["Retry-After"]) >= 1


def test_invoice_as_pdf_with_accept_pdf(zoho, customer):
    invoice = new_invoice(zoho, customer)
    assert invoice["invoice_url"].startswith("http")  # Zoho's page for a person
    pdf = zoho.get(f"/invoices/{invoice['invoice_id']}", params={"accept": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert ok(zoho.get(f"/invoices/{invoice['invoice_id']}"))["invoice"]["total"]  # JSON
