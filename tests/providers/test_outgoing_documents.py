"""The adapters' document verbs at each sandbox, through the real clients over real HTTP:
create from an OutgoingDocument (its dates, title, number and reference land where each
provider keeps them), payments read back as each provider reports them, Money Forward's
入金ステータス pushed, a customer's invoices listed, and our reference read back — also
from an invoice Renkei never made."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import requests

from app.services.sync.adapters import OutgoingDocument
from app.services.sync.lines import InvoiceLine, InvoiceLines
from tests.providers.money_cases import COMPANY, PROVIDERS, connect

ISSUED, DUE = date(2026, 11, 20), date(2026, 12, 31)  # not the adapter's today (2026-12-02)
OTHER = SimpleNamespace(**{**vars(COMPANY), "code": "C-OTHER", "name": "株式会社 別会社"})


def lines(amount: str = "10000") -> InvoiceLines:
    return InvoiceLines(
        [InvoiceLine("保守", Decimal(amount), Decimal(1), "standard_10")], "JPY", "down"
    )


def outgoing(reference: str, due: date | None = DUE, amount: str = "10000") -> OutgoingDocument:
    return OutgoingDocument(
        reference, "保守サポート 12月", "INV-000123", ISSUED, due, lines(amount)
    )


@pytest.fixture
def provider(app, fresh_sandbox, request):
    with app.test_request_context():
        yield connect(fresh_sandbox, request.param)


def raw(provider, external_id: str) -> dict:
    """The provider's own JSON of an invoice."""
    client = provider.adapter.client
    if provider.name == "moneyforward":
        return client.get_billing(external_id)
    if provider.name == "freee":
        return client.get_invoice(int(external_id))
    return client.get_invoice(external_id)


def pay(provider, external_id: str, **body) -> dict:
    path = f"documents/{external_id}/payments"
    return provider.box.control(provider.name, "POST", path, json=body)["document"]


@pytest.mark.parametrize("provider", PROVIDERS, indirect=True)
def test_create_takes_dates_title_number_and_reference_from_the_document(provider):
    remote = provider.adapter.create_invoice(outgoing("rk-1-dates"), provider.customer)
    assert (remote.issue_date, remote.due_date) == (ISSUED, DUE)
    assert remote.reference == "rk-1-dates" and remote.total == Decimal("11000")
    assert remote.paid_on is None
    assert remote.paid_amount == (Decimal(0) if provider.name == "zoho" else None)
    again = provider.adapter.get_invoice(remote.external_id)
    assert (again.issue_date, again.due_date, again.reference) == (ISSUED, DUE, "rk-1-dates")

    held = raw(provider, remote.external_id)
    if provider.name == "moneyforward":
        assert (held["billing_date"], held["due_date"]) == ("2026/11/20", "2026/12/31")
        assert held["title"] == "保守サポート 12月"
        assert held["memo"] == "Renkei INV-000123\n[renkei:rk-1-dates]"
    elif provider.name == "freee":
        assert (held["billing_date"], held["payment_date"]) == ("2026-11-20", "2026-12-31")
        assert held["subject"] == "保守サポート 12月"
        assert held["memo"] == "Renkei INV-000123\n[renkei:rk-1-dates]"
    else:
        assert (held["date"], held["due_date"]) == ("2026-11-20", "2026-12-31")
        assert held["notes"] == "保守サポート 12月" and held["reference_number"] == "rk-1-dates"

    undated = provider.adapter.create_invoice(outgoing("rk-2-due", due=None), provider.customer)
    assert undated.due_date == ISSUED + timedelta(days=30)


@pytest.mark.parametrize("provider", PROVIDERS, indirect=True)
def test_partial_then_full_payment_as_the_provider_reports_it(provider):
    remote = provider.adapter.create_invoice(outgoing("rk-3-paid"), provider.customer)
    pay(provider, remote.external_id, amount=4000, date="2026-12-05")
    partial = provider.adapter.get_invoice(remote.external_id)
    pay(provider, remote.external_id, date="2026-12-10")  # the rest
    full = provider.adapter.get_invoice(remote.external_id)
    if provider.name == "zoho":
        assert (partial.status, partial.payment_status) == ("partially_paid", "partially_paid")
        assert (partial.paid_amount, partial.paid_on) == (Decimal(4000), date(2026, 12, 5))
        assert (full.paid_amount, full.paid_on) == (Decimal(11000), date(2026, 12, 10))
        listed = provider.adapter.customer_invoices(provider.customer)[0]
        assert (listed.paid_amount, listed.paid_on) == (Decimal(11000), date(2026, 12, 10))
    else:  # a status word only: no amount, no date
        words = {"moneyforward": ("未入金", "入金済み"), "freee": ("unsettled", "settled")}
        assert (partial.status, partial.payment_status) == ("unpaid", words[provider.name][0])
        assert (full.payment_status, full.paid_amount, full.paid_on) == (
            words[provider.name][1],
            None,
            None,
        )
    assert full.status == "paid"


@pytest.mark.parametrize("provider", PROVIDERS, indirect=True)
def test_customer_invoices_lists_only_that_customers_and_reads_references(provider):
    other = provider.adapter.create_customer(OTHER)
    mine = [
        provider.adapter.create_invoice(outgoing(f"rk-4-{n}"), provider.customer) for n in (1, 2)
    ]
    provider.adapter.create_invoice(outgoing("rk-4-other"), other)
    body = {
        "customer_id": provider.customer.external_id,
        "lines": [{"name": "外部", "unit_price": 500}],
    }
    foreign = provider.box.control(
        provider.name, "POST", "documents", json={**body, "reference": "rk-foreign"}
    )["document"]
    bare = provider.box.control(provider.name, "POST", "documents", json=body)["document"]

    listed = provider.adapter.customer_invoices(provider.customer)
    ids = {d.external_id for d in listed}
    expected = {d.external_id for d in mine} | {str(foreign.get("id") or foreign.get("invoice_id"))}
    expected.add(str(bare.get("id") or bare.get("invoice_id")))
    assert ids == expected
    references = {d.external_id: d.reference for d in listed}
    assert sorted(filter(None, references.values())) == ["rk-4-1", "rk-4-2", "rk-foreign"]
    assert len(provider.adapter.customer_invoices(provider.customer, limit=2)) == 2
    assert [d.reference for d in provider.adapter.customer_invoices(other)] == ["rk-4-other"]


@pytest.mark.parametrize("provider", ["moneyforward"], indirect=True)
def test_money_forward_takes_the_payment_status_renkei_pushes(provider):
    adapter = provider.adapter
    assert adapter.supports_payment_push
    remote = adapter.create_invoice(outgoing("rk-5-push"), provider.customer)
    paid = adapter.push_payment_status(remote.external_id, True)
    assert (paid.status, paid.payment_status) == ("paid", "入金済み")
    assert adapter.get_invoice(remote.external_id).payment_status == "入金済み"
    unpaid = adapter.push_payment_status(remote.external_id, False)
    assert (unpaid.status, unpaid.payment_status) == ("unpaid", "未入金")
    puts = [
        r
        for r in provider.box.requests_log("moneyforward")
        if r["method"] == "PUT"
        and r["path"].endswith(f"/billings/{remote.external_id}/payment_status")
    ]
    assert [r["status"] for r in puts] == [200, 200]

    # The spec takes codes only: a label is refused in Money Forward's error shape.
    token = provider.box.mint("moneyforward", "renkei-demo")["access_token"]
    refused = requests.put(
        f"{provider.box.base('moneyforward')}/api/v3/billings/{remote.external_id}/payment_status",
        json={"payment_status": "入金済み"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert refused.status_code == 400
    (error,) = refused.json()["errors"]
    assert error["field"] == "payment_status" and error["message"]


@pytest.mark.parametrize("provider", ["zoho", "freee"], indirect=True)
def test_zoho_and_freee_take_no_payment_status(provider):
    assert not provider.adapter.supports_payment_push
    with pytest.raises(NotImplementedError):
        provider.adapter.push_payment_status("1", True)
