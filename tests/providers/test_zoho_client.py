"""Zoho Invoice client against the sandbox: contact, invoice, sent, void, email."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.providers import errors

from .sandbox_clients import zoho_client


def tokyo_today():
    """The providers are Japanese services: "today" is the date in Tokyo (from 15:00 UTC
    it is already tomorrow there, and an invoice dated on UTC's day reads as overdue)."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Tokyo")).date()


@pytest.fixture
def client(fresh_sandbox, sleeps):
    return zoho_client(fresh_sandbox, sleep=sleeps)


def invoice_body(customer_id: str) -> dict:
    return {
        "customer_id": customer_id,
        "date": tokyo_today().isoformat(),
        "line_items": [{"name": "Consulting", "rate": Decimal("1200.50"), "quantity": 2}],
    }


def test_contact_invoice_sent_void(client):
    started = datetime.now(UTC) - timedelta(seconds=2)
    contact = client.create_contact({"contact_name": "Acme KK", "email": "ap@acme.example"})
    assert client.find_contact("Acme KK")["contact_id"] == contact["contact_id"]
    assert client.update_contact(contact["contact_id"], {"website": "https://acme.example"})

    invoice = client.create_invoice(invoice_body(contact["contact_id"]), reference="deal-42")
    assert invoice["reference_number"] == "deal-42" and invoice["status"] == "draft"
    assert Decimal(str(invoice["total"])) == Decimal("2401")  # JPY has no decimals
    assert client.find_invoice("deal-42")["invoice_id"] == invoice["invoice_id"]
    assert client.find_invoice("deal-43") is None

    client.mark_invoice_sent(invoice["invoice_id"])
    assert client.get_invoice(invoice["invoice_id"])["status"] == "sent"
    modified = list(client.iter_invoices_modified_since(started))
    assert [i["invoice_id"] for i in modified] == [invoice["invoice_id"]]

    client.void_invoice(invoice["invoice_id"])
    assert client.get_invoice(invoice["invoice_id"])["status"] == "void"
    with pytest.raises(errors.ValidationError) as caught:
        client.mark_invoice_sent(invoice["invoice_id"])  # Zoho's own words come through
    assert "cannot be changed" in str(caught.value)


def test_email_invoice(client):
    contact = client.create_contact({"contact_name": "Mail KK", "email": "ap@mail.example"})
    invoice = client.create_invoice(invoice_body(contact["contact_id"]))
    client.email_invoice(invoice["invoice_id"], ["boss@mail.example"], subject="Invoice")
    assert client.get_invoice(invoice["invoice_id"])["status"] == "sent"


def test_items_and_estimates(client):
    item = client.create_item({"name": "Support", "rate": Decimal("5000")})
    client.update_item(item["item_id"], {"rate": Decimal("5500")})
    assert Decimal(str(client.get_item(item["item_id"])["rate"])) == Decimal("5500")
    contact = client.create_contact({"contact_name": "Quote KK"})
    body = {
        "customer_id": contact["contact_id"],
        "date": tokyo_today().isoformat(),
        "line_items": [{"item_id": item["item_id"], "quantity": 1}],
    }
    estimate = client.create_estimate(body, reference="quote-1")
    assert client.find_estimate("quote-1")["estimate_id"] == estimate["estimate_id"]
    assert client.get_estimate(estimate["estimate_id"])["reference_number"] == "quote-1"
    assert [e["estimate_id"] for e in client.iter_estimates()] == [estimate["estimate_id"]]


def test_paging_walks_has_more_page(fresh_sandbox, client, monkeypatch):
    for n in range(3):
        client.create_contact({"contact_name": f"Paged {n}"})
    monkeypatch.setattr("app.providers.zoho.dialect.MAX_PER_PAGE", 2)
    names = [c["contact_name"] for c in client.iter_contacts()]
    assert sorted(n for n in names if n.startswith("Paged")) == ["Paged 0", "Paged 1", "Paged 2"]
    listed = [
        r["query"]
        for r in fresh_sandbox.requests_log("zoho")
        if r["method"] == "GET" and r["path"].endswith("/contacts")
    ]
    assert len(listed) >= 2 and all("organization_id=" in q for q in listed)


def test_wrong_organisation_is_permission_denied(fresh_sandbox, client):
    client.http.default_params["organization_id"] = "999"
    with pytest.raises(errors.PermissionDeniedError) as caught:
        client.get_invoice("1")
    assert caught.value.code == 6041


def test_missing_invoice(client):
    with pytest.raises(errors.NotFoundError):
        client.get_invoice("460000000999999")
