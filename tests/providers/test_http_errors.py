"""Every typed error comes from a real HTTP response, in each provider's own format."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.providers import errors
from app.providers.freee import dialect as freee
from app.providers.http import ProviderHTTP, StaticToken
from app.providers.moneyforward import dialect as mf
from app.providers.retry import NO_RETRY
from app.providers.zoho import dialect as zoho

from .scripted import Reply

TOKEN = "access-token-abcdef123456"


def mf_http(server, **kwargs):
    return ProviderHTTP(
        "moneyforward",
        server.url,
        token_source=StaticToken(TOKEN),
        read_error=mf.read_error,
        retry=NO_RETRY,
        **kwargs,
    )


@pytest.mark.parametrize(
    "status, kind",
    [
        (400, errors.ValidationError),
        (422, errors.ValidationError),
        (401, errors.AuthenticationError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (429, errors.RateLimitError),
        (500, errors.TransientError),
        (503, errors.TransientError),
        (418, errors.ProviderError),
    ],
)
def test_status_maps_to_error_class(scripted, status, kind):
    scripted.on("GET", "/billings/x", Reply(status, {"errors": [{"message": "nope"}]}))
    with pytest.raises(kind) as caught:
        mf_http(scripted).get("/billings/x")
    assert caught.value.http_status == status
    assert caught.value.provider == "moneyforward"
    assert "nope" in str(caught.value)


def test_mf_validation_error_is_readable_with_fields(scripted):
    body = {"errors": [{"message": "billing_dateを入力してください", "field": "billing_date"}]}
    scripted.on("POST", "/invoice_template_billings", Reply(400, body, {"X-Request-Id": "rq-1"}))
    with pytest.raises(errors.ValidationError) as caught:
        mf_http(scripted).post("/invoice_template_billings", {"department_id": "d"})
    error = caught.value
    assert error.field_errors == {"billing_date": ["billing_dateを入力してください"]}
    assert error.request_id == "rq-1"
    assert "billing_date: billing_dateを入力してください" in str(error)
    assert str(error).startswith("Money Forward:")
    assert not error.should_retry


def test_rate_limit_error_carries_retry_after(scripted):
    scripted.on("GET", "/items", Reply(429, {"errors": []}, {"Retry-After": "7"}))
    with pytest.raises(errors.RateLimitError) as caught:
        mf_http(scripted).get("/items")
    assert caught.value.retry_after == 7
    assert not caught.value.local


def test_5xx_is_transient_and_retryable_for_get(scripted):
    scripted.on("GET", "/items", Reply(502, text="<html>bad gateway</html>"))
    with pytest.raises(errors.TransientError) as caught:
        mf_http(scripted).get("/items")
    assert caught.value.should_retry and not caught.value.outcome_unknown


def test_5xx_on_post_means_outcome_unknown(scripted):
    scripted.on("POST", "/partners", Reply(500, {"errors": [{"message": "boom"}]}))
    with pytest.raises(errors.TransientError) as caught:
        mf_http(scripted).post("/partners", {"name": "x"})
    assert caught.value.outcome_unknown and not caught.value.should_retry


def test_connection_refused_is_connection_failure_not_sent(refused_url):
    http = ProviderHTTP("moneyforward", refused_url, retry=NO_RETRY)
    with pytest.raises(errors.ConnectionFailure) as caught:
        http.post("/partners", {"name": "x"})
    assert caught.value.sent is False and caught.value.should_retry


def test_read_timeout_on_post_is_outcome_unknown(scripted):
    from app.providers.http import Timeouts

    scripted.on("POST", "/partners", Reply(201, {"id": "p"}, delay=0.5))
    http = mf_http(scripted, timeouts=Timeouts(connect=2, read=0.1))
    with pytest.raises(errors.ConnectionFailure) as caught:
        http.post("/partners", {"name": "x"})
    assert caught.value.sent and caught.value.outcome_unknown and not caught.value.should_retry


def test_dropped_connection_is_connection_failure(scripted):
    scripted.on("GET", "/items", Reply(drop=True))
    with pytest.raises(errors.ConnectionFailure) as caught:
        mf_http(scripted).get("/items")
    assert caught.value.sent


def test_unreadable_success_body(scripted):
    scripted.on("GET", "/office", Reply(200, text="<html>maintenance</html>"))
    with pytest.raises(errors.ProviderResponseError):
        mf_http(scripted).get("/office")


def zoho_http(server):
    return ProviderHTTP(
        "zoho",
        server.url,
        token_source=StaticToken(TOKEN),
        auth_scheme=zoho.AUTH_SCHEME,
        read_error=zoho.read_error,
        check_success=zoho.check_success,
        default_params={"organization_id": "42"},
        retry=NO_RETRY,
    )


def test_zoho_non_zero_code_under_http_200_is_an_error(scripted):
    scripted.on("POST", "/invoices", Reply(200, {"code": 14, "message": "Invalid value for date"}))
    with pytest.raises(errors.ValidationError) as caught:
        zoho_http(scripted).post("/invoices", {"customer_id": "1"})
    assert caught.value.code == 14
    assert "Invalid value for date" in str(caught.value)


def test_zoho_codes_refine_the_status(scripted):
    missing = {"code": 1002, "message": "Invoice does not exist."}
    scripted.on("GET", "/invoices/9", Reply(400, missing))
    with pytest.raises(errors.NotFoundError):
        zoho_http(scripted).get("/invoices/9")
    assert scripted.seen("GET", "/invoices/9")[0]["args"]["organization_id"] == "42"
    header = scripted.seen("GET", "/invoices/9")[0]["headers"]["Authorization"]
    assert header == f"Zoho-oauthtoken {TOKEN}"


def test_zoho_success_body(scripted):
    scripted.on("GET", "/items", Reply(200, {"code": 0, "message": "success", "items": []}))
    assert zoho_http(scripted).get("/items")["items"] == []


def test_freee_bad_request_messages(scripted):
    body = {
        "status_code": 400,
        "errors": [
            {"type": "bad_request", "messages": ["請求日を入力してください", "件名が長すぎます"]}
        ],
    }
    scripted.on("POST", "/invoices", Reply(400, body))
    http = ProviderHTTP("freee", scripted.url, read_error=freee.read_error, retry=NO_RETRY)
    with pytest.raises(errors.ValidationError) as caught:
        http.post("/invoices", {"company_id": 1})
    assert "請求日を入力してください; 件名が長すぎます" in str(caught.value)
    assert str(caught.value).startswith("freee:")


def test_error_messages_never_contain_the_token(scripted):
    body = {"errors": [{"message": f"token {TOKEN} is not allowed; Bearer {TOKEN}"}]}
    scripted.on("GET", "/office", Reply(403, body))
    with pytest.raises(errors.PermissionDeniedError) as caught:
        mf_http(scripted).get("/office")
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value)
    assert TOKEN not in (caught.value.provider_message or "")


def test_json_money_is_decimal_both_ways(scripted):
    scripted.on("POST", "/items", Reply(201, text='{"price": 1234.50, "quantity": 3}'))
    result = mf_http(scripted).post("/items", {"price": Decimal("0.10"), "n": Decimal("1E+3")})
    assert result == {"price": Decimal("1234.50"), "quantity": 3}
    assert isinstance(result["price"], Decimal)
    assert scripted.seen("POST", "/items")[0]["body"] == '{"price":0.10,"n":1000}'
