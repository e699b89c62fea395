"""No client secret, code or token in any log line or error message, at DEBUG level."""

from __future__ import annotations

import logging

import pytest

from app.providers import errors
from app.providers.moneyforward import MoneyForwardClient
from app.providers.oauth import MemoryTokenStore, TokenManager
from app.providers.redact import safe_params, scrub

from .test_oauth_flow import SECRET, consent, oauth_client


def test_scrub_masks_credentials():
    text = "Authorization: Bearer abc.def-123 body=refresh_token=r123&client_secret=s456&code=c789"
    cleaned = scrub(text)
    for secret in ("abc.def-123", "r123", "s456", "c789"):
        assert secret not in cleaned
    assert scrub("token 1000.zz is bad", ["1000.zz"]) == "token [redacted] is bad"
    assert safe_params({"code": "x", "organization_id": "42"}) == {
        "code": "[redacted]",
        "organization_id": "42",
    }


def test_full_flow_leaks_nothing(fresh_sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    seen: list[str] = [SECRET]
    oauth = oauth_client(fresh_sandbox, "moneyforward")
    url, state = oauth.authorization_url()
    code = oauth.code_from_callback(consent(url, "allow"), state)
    tokens = oauth.exchange_code(code)
    seen += [code, tokens.access_token, tokens.refresh_token]

    store = MemoryTokenStore(tokens)
    client = MoneyForwardClient(
        TokenManager(oauth, store), base_url=f"{fresh_sandbox.base('moneyforward')}/api/v3"
    )
    client.get_office()
    fresh_sandbox.fault("moneyforward", kind="expire_tokens")
    client.get_office()  # 401 → refresh → retry
    seen += [store.load().access_token, store.load().refresh_token]

    messages = []
    with pytest.raises(errors.NotFoundError) as not_found:
        client.get_billing("missing")
    messages.append(str(not_found.value))
    with pytest.raises(errors.AuthenticationError) as spent:
        oauth.refresh(tokens.refresh_token)  # rotated out: invalid_grant
    messages += [str(spent.value), repr(spent.value)]
    with pytest.raises(errors.AuthenticationError) as reused:
        oauth.exchange_code(code)
    messages.append(str(reused.value))

    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # debug logs were on
    assert any("GET /office" in r.getMessage() for r in caplog.records)
    everything = caplog.text + "\n".join(messages)
    for secret in seen:
        assert secret and secret not in everything
    assert "Authorization" not in "".join(
        r.getMessage() for r in caplog.records if r.name.startswith("app.")
    )
