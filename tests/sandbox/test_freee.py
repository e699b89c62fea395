"""freee Invoice emulator: invoices, quotations, delivery slips, validated against the spec."""

from __future__ import annotations

import pytest

from .conftest import FREEE_COMPANY, ok

COMPANY = {"company_id": FREEE_COMPANY}
COMMON = {
    "company_id": FREEE_COMPANY,
    "tax_entry_method": "out",
    "tax_fraction": "omit",
    "withholding_tax_entry_method": "out",
    "partner_title": "御中",
}
LINES = [
    {"description": "システム開発", "quantity": 2, "unit_price": "150000", "tax_rate": 10},
    {
        "description": "軽減対象品",
        "quantity": 3,
        "unit_price": "333.3",
        "tax_rate": 8,
        "reduced_tax_rate": True,
    },
    {"type": "text", "description": "備考行"},
]


@pytest.fixture()
def partner_id(sandbox, freee) -> int:
    url = sandbox.url + "/sandbox/freee/api/1/partners"
    body = {**COMPANY, "name": "株式会社フリー取引先", "code": "FP-1"}
    partner = ok(freee.session.post(url, json=body, timeout=10), 201)["partner"]
    listed = ok(freee.session.get(url, params=COMPANY, timeout=10))["partners"]
    assert [p["id"] for p in listed] == [partner["id"]]
    return partner["id"]


def test_invoice_create_get_list_update_cancel(freee, partner_id):
    body = {**COMMON, "partner_id": partner_id, "billing_date": "2024-05-10", "lines": LINES}
    body.update(subject="5月分", payment_date="2024-06-30")
    created = ok(freee.post("/invoices", json=body), 201)["invoice"]
    # 300000 at 10 % → 30000; 999.9 rounded down (omit) to 999 at 8 % → 79.92 → 79
    assert created["amount_excluding_tax_10"] == 300000 and created["amount_tax_10"] == 30000
    assert (
        created["amount_excluding_tax_8_reduced"] == 999 and created["amount_tax_8_reduced"] == 79
    )
    assert created["amount_tax_8"] is None
    assert created["total_amount"] == 300000 + 30000 + 999 + 79
    assert (created["payment_status"], created["sending_status"]) == ("unsettled", "unsent")
    assert (
        created["invoice_number"] == "INV-00001"
        and created["partner_name"] == "株式会社フリー取引先"
    )
    assert created["lines"][2]["amount_excluding_tax"] is None
    shown = ok(freee.get(f"/invoices/{created['id']}", params=COMPANY))["invoice"]
    assert shown["total_amount"] == created["total_amount"]
    listed = ok(freee.get("/invoices", params={**COMPANY, "start_billing_date": "2024-05-01"}))
    assert [i["id"] for i in listed["invoices"]] == [created["id"]]
    assert (
        ok(freee.get("/invoices", params={**COMPANY, "end_billing_date": "2024-04-30"}))["invoices"]
        == []
    )
    changed = ok(freee.put(f"/invoices/{created['id']}", json={**body, "subject": "改訂"}))[
        "invoice"
    ]
    assert changed["subject"] == "改訂" and changed["invoice_number"] == "INV-00001"
    canceled = ok(freee.put(f"/invoices/{created['id']}/cancel", json=COMPANY))
    assert canceled == {"invoice": {"id": created["id"], "cancel_status": "canceled"}}
    ok(freee.put(f"/invoices/{created['id']}/uncancel", json=COMPANY))


def test_quotation_and_delivery_slip(freee, partner_id):
    quotation = {
        **COMMON,
        "partner_id": partner_id,
        "quotation_date": "2024-05-01",
        "lines": LINES[:1],
    }
    created = ok(freee.post("/quotations", json=quotation), 201)["quotation"]
    assert created["total_amount"] == 330000 and created["quotation_number"] == "QUO-00001"
    assert (
        ok(freee.get(f"/quotations/{created['id']}", params=COMPANY))["quotation"]["id"]
        == created["id"]
    )
    assert len(ok(freee.get("/quotations", params=COMPANY))["quotations"]) == 1
    slip = {
        **COMMON,
        "partner_code": "FP-1",
        "delivery_slip_date": "2024-05-02",
        "lines": LINES[:1],
    }
    slip.update(tax_entry_method="in")  # prices include tax: 300000 holds 27272 of tax
    made = ok(freee.post("/delivery_slips", json=slip), 201)["delivery_slip"]
    assert (made["amount_including_tax"], made["amount_tax"]) == (300000, 27272)
    assert (
        ok(freee.get(f"/delivery_slips/{made['id']}", params=COMPANY))["delivery_slip"]["id"]
        == made["id"]
    )
    assert len(ok(freee.get("/delivery_slips", params=COMPANY))["delivery_slips"]) == 1
    templates = ok(freee.get("/invoices/templates", params=COMPANY))["templates"]
    assert templates and {"id", "name"} <= set(templates[0])


def test_spec_rejections_and_company_checks(freee, partner_id):
    missing = freee.get("/invoices")  # company_id is a required query parameter
    assert missing.status_code == 400
    assert missing.headers["Content-Type"].startswith("application/problem+json")
    assert missing.json()["errors"][0]["messages"]
    other = freee.get("/invoices", params={"company_id": 1})
    assert other.status_code == 403
    body = {**COMMON, "partner_id": partner_id, "billing_date": "2024-05-10", "lines": LINES}
    no_title = {k: v for k, v in body.items() if k != "partner_title"}
    refused = freee.post("/invoices", json=no_title)
    assert (
        refused.status_code == 400 and "partner_title" in refused.json()["errors"][0]["messages"][0]
    )
    bad_date = freee.post("/invoices", json={**body, "billing_date": "2024/05/10"})
    assert bad_date.status_code == 400
    no_partner = {k: v for k, v in body.items() if k != "partner_id"}
    assert freee.post("/invoices", json=no_partner).status_code == 400
    numbered = freee.post("/invoices", json={**body, "invoice_number": "R-1"})
    assert numbered.status_code == 400  # 自動採番: the number cannot be chosen
    assert freee.get("/invoices/999999", params=COMPANY).status_code == 404
    for bad in ({"payment_status": "paid"}, {"start_billing_date": "2024/01/01"}, {"limit": 0}):
        assert freee.get("/invoices", params={**COMPANY, **bad}).status_code == 400, bad


def test_manual_numbering_requires_a_number(sandbox, freee, partner_id):
    ok(sandbox.control("freee", "POST", "settings", json={"numbering": "manual"}))
    body = {**COMMON, "partner_id": partner_id, "billing_date": "2024-05-10", "lines": LINES}
    assert freee.post("/invoices", json=body).status_code == 400
    created = ok(freee.post("/invoices", json={**body, "invoice_number": "R-2024-001"}), 201)
    assert created["invoice"]["invoice_number"] == "R-2024-001"


def test_rate_limit_headers_and_429(sandbox, freee):
    response = freee.get("/invoices", params=COMPANY)
    ok(response)
    assert response.headers["X-RateLimit-Limit"] == "1500"
    assert response.headers["X-Ratelimit-Limit-Minute"] == "30"
    assert int(response.headers["X-Ratelimit-Remaining-Minute"]) < 30
    assert response.headers["X-RateLimit-Reset-Day"].endswith("Z")
    ok(sandbox.control("freee", "POST", "settings", json={"per_minute": 2}))
    codes = [freee.get("/invoices", params=COMPANY).status_code for _ in range(3)]
    assert 429 in codes
