"""Money Forward client against the sandbox (validated against the v3 spec)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from app.providers import errors
from app.providers.retry import RetryPolicy

from .sandbox_clients import mf_client

FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02, jitter=0.01)


def tokyo_today():
    """The providers are Japanese services: "today" is the date in Tokyo (from 15:00 UTC
    it is already tomorrow there, and an invoice dated on UTC's day reads as overdue)."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Tokyo")).date()


@pytest.fixture
def client(fresh_sandbox, sleeps):
    return mf_client(fresh_sandbox, retry=FAST, sleep=sleeps)


def new_partner(client, code="C-0001"):
    body = {"name": "株式会社テスト商事", "departments": [{"person_name": "山田 太郎"}]}
    return client.create_partner(body, reference=code)


def billing_body(department_id: str) -> dict:
    return {
        "department_id": department_id,
        "billing_date": tokyo_today().isoformat(),
        "due_date": (tokyo_today() + timedelta(days=30)).isoformat(),
        "title": "10月分 コンサルティング",
        "items": [
            {
                "name": "コンサルティング",
                "price": Decimal("150000"),
                "quantity": Decimal("1.5"),
                "excise": "ten_percent",
            }
        ],
    }


def test_partner_billing_status_round_trip(client):
    partner = new_partner(client)
    assert client.find_partner_by_code("C-0001")["id"] == partner["id"]
    department = client.list_departments(partner["id"])[0]
    assert client.update_partner(partner["id"], {"name_kana": "テストショウジ"})["name_kana"]

    billing = client.create_billing(billing_body(department["id"]), reference="deal-42")
    assert "[renkei:deal-42]" in billing["memo"]
    assert Decimal(billing["total_price"]) == Decimal("247500")  # 225000 + 10 %
    assert client.get_billing(billing["id"])["id"] == billing["id"]

    updated = list(client.iter_billings_updated(tokyo_today() - timedelta(days=1)))
    assert [b["id"] for b in updated] == [billing["id"]]
    assert client.find_billing("deal-42", tokyo_today())["id"] == billing["id"]
    assert client.find_billing("deal-43", tokyo_today()) is None

    client.update_payment_status(billing["id"], "paid")
    assert client.get_billing(billing["id"])["payment_status"] == "入金済み"
    client.update_payment_status(billing["id"], "1")
    assert client.get_billing(billing["id"])["payment_status"] == "未入金"
    with pytest.raises(ValueError):
        client.update_payment_status(billing["id"], "入金済み")


def test_listing_walks_every_page(client):
    for n in range(3):
        client.create_item({"name": f"品目{n}", "price": Decimal("100"), "excise": "ten_percent"})
    assert len(list(client._iter("/items", per_page=1))) == 3
    assert client.list_partners(per_page=1)["pagination"]["current_page"] == 1


def test_quote_converted_to_billing(client):
    department = new_partner(client, "C-0002")["departments"][0]
    body = billing_body(department["id"])
    body.pop("billing_date"), body.pop("due_date")
    body.update(quote_date=tokyo_today().isoformat(), expired_date=tokyo_today().isoformat())
    quote = client.create_quote(body, reference="quote-7")
    assert client.find_quote("quote-7", tokyo_today())["id"] == quote["id"]
    billing = client.convert_quote_to_billing(quote["id"])
    assert billing["partner_id"] == quote["partner_id"]


def test_office_and_registration_code(client):
    client.update_registration_code("T1234567890123")
    assert client.registration_code() == "T1234567890123"


def test_uncertain_create_is_looked_up_not_repeated(fresh_sandbox, client):
    department = new_partner(client, "C-0003")["departments"][0]
    fresh_sandbox.fault("moneyforward", kind="500", path="invoice_template_billings$")
    with pytest.raises(errors.TransientError) as caught:
        client.create_billing(billing_body(department["id"]), reference="deal-9")
    assert caught.value.outcome_unknown
    posts = [r for r in fresh_sandbox.requests_log("moneyforward") if r["method"] == "POST"]
    assert posts[-1]["status"] == 500 and posts[-1]["path"].endswith("invoice_template_billings")
    # What the sync layer does next: look up by our reference, then create.
    assert client.find_billing("deal-9", tokyo_today()) is None
    assert client.create_billing(billing_body(department["id"]), reference="deal-9")["id"]


def test_429_is_retried_after_retry_after(fresh_sandbox, sleeps):
    client = mf_client(fresh_sandbox, throttled=False, retry=FAST, sleep=sleeps)
    fresh_sandbox.fault("moneyforward", kind="429", retry_after=3, path="/items$", method="POST")
    client.create_item({"name": "品目", "excise": "ten_percent"})
    assert sleeps.calls == [3]


def test_expired_token_is_refreshed_once(fresh_sandbox, client):
    old = client.http.token_source.store.load()
    fresh_sandbox.fault("moneyforward", kind="expire_tokens")
    assert client.get_office()["id"]
    new = client.http.token_source.store.load()
    assert new.access_token != old.access_token and new.refresh_token != old.refresh_token
    statuses = [r["status"] for r in fresh_sandbox.requests_log("moneyforward")[-3:]]
    assert statuses == [401, 200, 200]  # API 401, token endpoint, API retried


def test_validation_error_reads_money_forwards_words(client):
    with pytest.raises(errors.ValidationError) as caught:
        client.create_billing({"department_id": "nope"})
    assert caught.value.field_errors or caught.value.provider_message
    assert str(caught.value).startswith("Money Forward:")


def test_not_found(client):
    with pytest.raises(errors.NotFoundError):
        client.get_billing("does-not-exist")
