"""Fault injection and the control API: 429, 500, slow, drop, expire_tokens, reset, log."""

from __future__ import annotations

import time

import pytest
import requests

from .conftest import ok


def inject(sandbox, provider, **fault):
    return ok(sandbox.control(provider, "POST", "faults", json=fault), 201)


def test_429_with_retry_after_honours_count(sandbox, zoho):
    inject(sandbox, "zoho", kind="429", count=2, retry_after=7)
    for _ in range(2):
        limited = zoho.get("/contacts")
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
        assert limited.json()["code"] != 0  # the provider's error body
    ok(zoho.get("/contacts"))


def test_500_then_normal(sandbox, freee):
    inject(sandbox, "freee", kind="500")
    failed = freee.get("/invoices", params={"company_id": 2000001})
    assert failed.status_code == 500 and failed.json()["status_code"] == 500
    ok(freee.get("/invoices", params={"company_id": 2000001}))


def test_slow_delays_the_answer(sandbox, mf):
    inject(sandbox, "moneyforward", kind="slow", delay=0.6)
    started = time.monotonic()
    ok(mf.get("/office"))
    assert time.monotonic() - started >= 0.6
    started = time.monotonic()
    ok(mf.get("/office"))
    assert time.monotonic() - started < 0.5


def test_drop_closes_the_connection_without_a_response(sandbox, mf):
    inject(sandbox, "moneyforward", kind="drop", path="/partners$", method="GET")
    ok(mf.get("/office"))  # path and method filters: not this one
    with pytest.raises(requests.ConnectionError):
        mf.get("/partners")
    ok(mf.get("/partners"))
    log = ok(sandbox.control("moneyforward", "GET", "requests"))["requests"]
    dropped = [e for e in log if e.get("fault") == "drop"]
    assert len(dropped) == 1 and dropped[0]["status"] is None


def test_expire_tokens_makes_current_tokens_401(sandbox, mf):
    ok(mf.get("/office"))
    expired = ok(sandbox.control("moneyforward", "POST", "faults", json={"kind": "expire_tokens"}))
    assert expired["expired"] >= 1
    response = mf.get("/office")
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"
    ok(sandbox.client("moneyforward").get("/office"))  # a new token works


def test_faults_on_the_token_endpoint(sandbox):
    inject(sandbox, "freee", kind="500", path="/public_api/token")
    url = f"{sandbox.url}/sandbox/freee/public_api/token"
    response = requests.post(url, data={"grant_type": "refresh_token"}, timeout=10)
    assert response.status_code == 500


def test_clear_and_reset(sandbox, zoho):
    inject(sandbox, "zoho", kind="500", count=5)
    assert sandbox.control("zoho", "DELETE", "faults").status_code == 204
    ok(zoho.get("/contacts"))
    ok(zoho.post("/contacts", json={"contact_name": "Gone Soon"}), 201)
    inject(sandbox, "zoho", kind="500", count=5)
    ok(sandbox.control("zoho", "POST", "reset"))
    fresh = sandbox.client("zoho")  # the reset also forgot every token
    assert ok(fresh.get("/contacts"))["contacts"] == []
    assert zoho.get("/contacts").status_code == 401


def test_request_log_since(sandbox, zoho):
    ok(zoho.get("/contacts"))
    first = ok(sandbox.control("zoho", "GET", "requests"))
    assert first["requests"][-1]["path"] == "/sandbox/zoho/invoice/v3/contacts"
    assert first["requests"][-1]["status"] == 200
    assert first["requests"][-1]["query"] == "organization_id=10234695"
    ok(zoho.get("/items"))
    later = ok(sandbox.control("zoho", "GET", "requests", params={"since": first["next_index"]}))
    assert [e["path"].rsplit("/", 1)[-1] for e in later["requests"]] == ["items"]


def test_invalid_fault_is_refused(sandbox):
    response = sandbox.control("zoho", "POST", "faults", json={"kind": "teapot"})
    assert response.status_code == 400
