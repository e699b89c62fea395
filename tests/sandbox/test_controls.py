"""The test controls of the three sandboxes (/_sandbox/documents…): payments shown as each
provider shows them, invoices edited or deleted behind Renkei's back, and invoices made
with a reference Renkei never sent — each checked through the provider's own API."""

from __future__ import annotations

import pytest

from .conftest import FREEE_COMPANY, ok

LINES = [{"name": "作業", "unit_price": 10000, "quantity": 1, "tax_rate": "standard_10"}]


def customer(sandbox, provider: str, api, name: str) -> str:
    """A customer made through the provider's API; the id Renkei would keep for it."""
    if provider == "moneyforward":
        body = {"name": name, "departments": [{"person_name": "山田"}]}
        return ok(api.post("/partners", json=body), 201)["id"]
    if provider == "zoho":
        return ok(api.post("/contacts", json={"contact_name": name}), 201)["contact"]["contact_id"]
    url = sandbox.url + "/sandbox/freee/api/1/partners"
    body = {"company_id": FREEE_COMPANY, "name": name}
    return str(ok(api.session.post(url, json=body, timeout=10), 201)["partner"]["id"])


def invoice_id(provider: str, document: dict) -> str:
    return str(document["invoice_id"] if provider == "zoho" else document["id"])


def read(provider: str, api, doc_id: str) -> dict:
    """The invoice as the provider's API answers it."""
    if provider == "moneyforward":
        return ok(api.get(f"/billings/{doc_id}"))
    if provider == "zoho":
        return ok(api.get(f"/invoices/{doc_id}"))["invoice"]
    return ok(api.get(f"/invoices/{doc_id}", params={"company_id": FREEE_COMPANY}))["invoice"]


@pytest.fixture(params=["moneyforward", "zoho", "freee"])
def setup(request, sandbox):
    provider = request.param
    if provider == "moneyforward":
        ok(sandbox.control(provider, "POST", "settings", json={"writes_per_second": 1000}))
    api = sandbox.client(provider)
    return sandbox, provider, api, customer(sandbox, provider, api, "株式会社 取引先")


def test_create_with_reference_dates_and_number(setup):
    sandbox, provider, api, customer_id = setup
    body = {"customer_id": customer_id, "reference": "rk-9-abc", "lines": LINES}
    body.update(issue_date="2026-11-20", due_date="2026-12-31", title="外部作成", number="X-77")
    if provider == "freee":
        ok(sandbox.control("freee", "POST", "settings", json={"numbering": "manual"}))
    made = ok(sandbox.control(provider, "POST", "documents", json=body), 201)["document"]
    held = read(provider, api, invoice_id(provider, made))
    if provider == "moneyforward":
        assert held["memo"] == "[renkei:rk-9-abc]" and held["billing_number"] == "X-77"
        assert (held["billing_date"], held["due_date"]) == ("2026/11/20", "2026/12/31")
        assert held["total_price"] == "11000.0" and held["title"] == "外部作成"
        assert made["billing_date"] == "2026/11/20"  # the control answers in MF's forms too
    elif provider == "zoho":
        assert held["reference_number"] == "rk-9-abc" and held["invoice_number"] == "X-77"
        assert (held["date"], held["due_date"], held["total"]) == (
            "2026-11-20",
            "2026-12-31",
            11000,
        )
        assert held["last_payment_date"] == " "  # unset, as Zoho writes it
    else:
        assert held["memo"] == "[renkei:rk-9-abc]" and held["invoice_number"] == "X-77"
        assert (held["billing_date"], held["payment_date"]) == ("2026-11-20", "2026-12-31")
        assert held["total_amount"] == 11000 and held["subject"] == "外部作成"


def test_payments_partial_then_full(setup):
    sandbox, provider, api, customer_id = setup
    body = {"customer_id": customer_id, "lines": LINES}
    doc_id = invoice_id(
        provider, ok(sandbox.control(provider, "POST", "documents", json=body), 201)["document"]
    )
    path = f"documents/{doc_id}/payments"
    ok(sandbox.control(provider, "POST", path, json={"amount": "4000", "date": "2026-12-05"}))
    partial = read(provider, api, doc_id)
    too_much = sandbox.control(provider, "POST", path, json={"amount": 7001})
    assert too_much.status_code == 400 and "balance" in too_much.json()["error"]
    ok(sandbox.control(provider, "POST", path, json={"date": "2026-12-10"}))  # the rest
    full = read(provider, api, doc_id)
    nothing_left = sandbox.control(provider, "POST", path, json={})
    assert nothing_left.status_code == 400
    if provider == "moneyforward":
        assert (partial["payment_status"], full["payment_status"]) == ("未入金", "入金済み")
    elif provider == "zoho":
        assert (partial["status"], partial["payment_made"], partial["balance"]) == (
            "partially_paid",
            4000,
            7000,
        )
        assert partial["last_payment_date"] == "2026-12-05"
        assert (full["status"], full["payment_made"], full["balance"]) == ("paid", 11000, 0)
        assert full["last_payment_date"] == "2026-12-10"
    else:
        assert (partial["payment_status"], full["payment_status"]) == ("unsettled", "settled")


def test_edit_lines_and_customer_then_delete(setup):
    sandbox, provider, api, customer_id = setup
    other = customer(sandbox, provider, api, "株式会社 別の取引先")
    body = {"customer_id": customer_id, "lines": LINES}
    doc_id = invoice_id(
        provider, ok(sandbox.control(provider, "POST", "documents", json=body), 201)["document"]
    )
    lines = [{"name": "変更後", "unit_price": 3000, "quantity": 2, "tax_rate": "reduced_8"}]
    edited = ok(
        sandbox.control(provider, "POST", f"documents/{doc_id}/edit", json={"lines": lines})
    )
    moved = ok(
        sandbox.control(provider, "POST", f"documents/{doc_id}/edit", json={"customer_id": other})
    )
    held = read(provider, api, doc_id)
    if provider == "moneyforward":
        assert edited["document"]["total_price"] == held["total_price"] == "6480.0"
        assert held["partner_id"] == other and held["partner_name"] == "株式会社 別の取引先"
    elif provider == "zoho":
        assert edited["document"]["total"] == held["total"] == 6480 and held["balance"] == 6480
        assert (
            held["customer_id"] == other
            and moved["document"]["customer_name"] == "株式会社 別の取引先"
        )
    else:
        assert edited["document"]["total_amount"] == held["total_amount"] == 6480
        assert str(held["partner_id"]) == other and held["partner_name"] == "株式会社 別の取引先"
    assert sandbox.control(provider, "DELETE", f"documents/{doc_id}").status_code == 204
    gone = read_status(provider, api, doc_id)
    assert gone == 404


def test_an_edit_after_a_payment_keeps_the_status_true(setup):
    sandbox, provider, api, customer_id = setup
    body = {"customer_id": customer_id, "lines": LINES}
    made = ok(sandbox.control(provider, "POST", "documents", json=body), 201)["document"]
    doc_id = invoice_id(provider, made)
    ok(sandbox.control(provider, "POST", f"documents/{doc_id}/payments", json={"amount": 5500}))
    lines = [{"name": "値下げ", "unit_price": 5000, "tax_rate": "standard_10"}]
    ok(sandbox.control(provider, "POST", f"documents/{doc_id}/edit", json={"lines": lines}))
    held = read(provider, api, doc_id)
    shown = {"moneyforward": "payment_status", "zoho": "status", "freee": "payment_status"}
    paid = {"moneyforward": "入金済み", "zoho": "paid", "freee": "settled"}
    assert held[shown[provider]] == paid[provider]  # 5,500 paid settles the new 5,500


def read_status(provider: str, api, doc_id: str) -> int:
    if provider == "moneyforward":
        return api.get(f"/billings/{doc_id}").status_code
    params = {"company_id": FREEE_COMPANY} if provider == "freee" else {}
    return api.get(f"/invoices/{doc_id}", params=params).status_code


def test_controls_refuse_what_they_cannot_represent(setup):
    sandbox, provider, api, customer_id = setup
    bad_rate = {"customer_id": customer_id, "lines": [{"name": "x", "tax_rate": "ten"}]}
    refused = sandbox.control(provider, "POST", "documents", json=bad_rate)
    assert refused.status_code == 400 and "tax_rate" in refused.json()["error"]
    nobody = sandbox.control(
        provider, "POST", "documents", json={"customer_id": "0", "lines": LINES}
    )
    assert nobody.status_code == 400
    missing = sandbox.control(provider, "POST", "documents/999/payments", json={})
    assert missing.status_code == 404
