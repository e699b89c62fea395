"""freee client against the sandbox (iv calls validated against freee's spec)."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.providers import errors
from app.providers.freee.client import INVOICES, QUOTATIONS
from app.providers.ratelimit import ConnectionThrottle, RateLimiter

from .sandbox_clients import freee_client


def tokyo_today():
    """The providers are Japanese services: "today" is the date in Tokyo (from 15:00 UTC
    it is already tomorrow there, and an invoice dated on UTC's day reads as overdue)."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Tokyo")).date()


@pytest.fixture
def client(fresh_sandbox, sleeps):
    return freee_client(fresh_sandbox, sleep=sleeps)


def document_body(partner_id: int, date_field: str) -> dict:
    return {
        date_field: tokyo_today().isoformat(),
        "subject": "10月分 保守",
        "tax_entry_method": "out",
        "tax_fraction": "omit",
        "withholding_tax_entry_method": "out",
        "partner_title": "御中",
        "partner_id": partner_id,
        "lines": [{"description": "保守", "quantity": 2, "unit_price": "15000", "tax_rate": 10}],
    }


def test_partner_and_invoice(client):
    partner = client.create_partner({"name": "株式会社フリー商店"}, reference="C-0001")
    assert client.find_partner_by_code("C-0001")["id"] == partner["id"]
    assert client.get_partner(partner["id"])["name"] == "株式会社フリー商店"

    invoice = client.create_invoice(
        document_body(partner["id"], "billing_date"), reference="deal-42"
    )
    assert "[renkei:deal-42]" in invoice["memo"]
    assert invoice["total_amount"] == 33000
    assert client.get_invoice(invoice["id"])["partner_id"] == partner["id"]
    assert client.find_invoice("deal-42", tokyo_today())["id"] == invoice["id"]
    assert client.find_invoice("deal-43", tokyo_today()) is None
    assert [i["id"] for i in client.iter_invoices(partner_ids=str(partner["id"]))] == [
        invoice["id"]
    ]

    body = document_body(partner["id"], "billing_date") | {"subject": "10月分 保守 (訂正)"}
    assert client.update_invoice(invoice["id"], body)["subject"] == "10月分 保守 (訂正)"
    assert client.cancel_invoice(invoice["id"])["invoice"]["cancel_status"] == "canceled"


def test_quotation_and_delivery_slip(client):
    partner = client.create_partner({"name": "見積先"})
    quotation = client.create_quotation(document_body(partner["id"], "quotation_date"), "q-1")
    assert client.get_quotation(quotation["id"])["id"] == quotation["id"]
    assert client.find(QUOTATIONS, "q-1", tokyo_today())["id"] == quotation["id"]
    slip = client.create_delivery_slip(document_body(partner["id"], "delivery_slip_date"))
    assert [s["id"] for s in client.iter_delivery_slips()] == [slip["id"]]
    assert client.templates(INVOICES)


def test_freee_error_words_reach_the_user(client):
    with pytest.raises(errors.ValidationError) as caught:
        client.create_invoice({"billing_date": "2026-01-01"})
    assert str(caught.value).startswith("freee:") and caught.value.http_status == 400
    assert "必須" in str(caught.value)  # problem+json read as UTF-8, not guessed


def test_rate_limit_headers_are_read(fresh_sandbox, redis_url):
    fresh_sandbox.control("freee", "POST", "settings", json={"per_minute": 2})
    client = freee_client(fresh_sandbox)
    limiter = RateLimiter(redis_url, max_wait=0.05)
    # Headers only (no fixed bucket), to see freee's own budget drive the pause.
    client.http.throttle = ConnectionThrottle(limiter, "freee:headers-test", use_headers=True)
    list(client.iter_invoices())
    list(client.iter_invoices())  # remaining-minute is now 0: the next call must wait
    with pytest.raises(errors.RateLimitError) as caught:
        list(client.iter_invoices())
    assert caught.value.local  # held back by us; freee never saw a third call
    gets = [r for r in fresh_sandbox.requests_log("freee") if r["path"].endswith("/iv/invoices")]
    assert len(gets) == 2
