"""The authorization-code flow against the sandboxes' OAuth servers."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from app.providers import errors
from app.providers.freee import dialect as freee
from app.providers.moneyforward import dialect as mf
from app.providers.oauth import OAuthClient
from app.providers.zoho import dialect as zoho

REDIRECT = "http://127.0.0.1:8080/connections/callback"
SECRET = "client-secret-not-to-be-seen-0123"


def oauth_client(sandbox, provider: str) -> OAuthClient:
    sandbox.register_client(provider, f"renkei-{provider}", SECRET, REDIRECT)
    base = sandbox.base(provider)
    if provider == "moneyforward":
        settings = mf.oauth_settings(
            f"renkei-{provider}",
            SECRET,
            REDIRECT,
            authorize_url=f"{base}/oauth/authorize",
            token_url=f"{base}/oauth/token",
        )
    elif provider == "zoho":
        settings = zoho.oauth_settings(
            f"renkei-{provider}",
            SECRET,
            REDIRECT,
            authorize_url=f"{base}/oauth/v2/auth",
            token_url=f"{base}/oauth/v2/token",
        )
    else:
        settings = freee.oauth_settings(
            f"renkei-{provider}",
            SECRET,
            REDIRECT,
            authorize_url=f"{base}/public_api/authorize",
            token_url=f"{base}/public_api/token",
        )
    return OAuthClient(settings)


def consent(url: str, decision: str) -> dict:
    """What the provider's redirect back to us carries, as the browser would follow it."""
    response = requests.get(f"{url}&auto={decision}", allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@pytest.mark.parametrize("provider", ["moneyforward", "zoho", "freee"])
def test_code_flow_end_to_end(fresh_sandbox, provider):
    client = oauth_client(fresh_sandbox, provider)
    url, state = client.authorization_url()
    query = parse_qs(urlsplit(url).query)
    assert query["state"] == [state] and len(state) >= 20
    assert query["scope"] == [client.settings.scope]
    assert query["client_id"] == [f"renkei-{provider}"]
    assert query["redirect_uri"] == [REDIRECT] and query["response_type"] == ["code"]
    code = client.code_from_callback(consent(url, "allow"), state)
    tokens = client.exchange_code(code)
    assert tokens.access_token and tokens.refresh_token and tokens.expires_at
    refreshed = client.refresh(tokens.refresh_token)
    assert refreshed.access_token != tokens.access_token
    if provider == "zoho":  # Zoho keeps its refresh token; the others rotate theirs
        assert refreshed.refresh_token == tokens.refresh_token
        assert "api_domain" in tokens.extras
    else:
        assert refreshed.refresh_token != tokens.refresh_token
        with pytest.raises(errors.AuthenticationError) as caught:
            client.refresh(tokens.refresh_token)  # the rotated-out one is refused
        assert caught.value.reconnect_required
    if provider == "freee":
        assert tokens.extras["company_id"]


def test_zoho_asks_for_offline_access():
    settings = zoho.oauth_settings("cid", SECRET, REDIRECT, dc="jp")
    url, _ = OAuthClient(settings).authorization_url(state="fixed-state-value")
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://accounts.zoho.jp/oauth/v2/auth?")
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    assert query["state"] == ["fixed-state-value"]
    assert zoho.oauth_settings("c", "s", REDIRECT, dc="ca").token_url == (
        "https://accounts.zohocloud.ca/oauth/v2/token"
    )


def test_denied_consent_is_a_clear_error(fresh_sandbox):
    client = oauth_client(fresh_sandbox, "moneyforward")
    url, state = client.authorization_url()
    answer = consent(url, "deny")
    assert answer["error"] == "access_denied"
    with pytest.raises(errors.AuthorizationDeniedError) as caught:
        client.code_from_callback(answer, state)
    assert "denied" in str(caught.value) and "Money Forward" in str(caught.value)


def test_state_mismatch_is_refused(fresh_sandbox):
    client = oauth_client(fresh_sandbox, "freee")
    url, _ = client.authorization_url()
    answer = consent(url, "allow")
    with pytest.raises(errors.AuthenticationError) as caught:
        client.code_from_callback(answer, "another-session-state")
    assert "state" in str(caught.value)


def test_a_code_is_good_once(fresh_sandbox):
    client = oauth_client(fresh_sandbox, "moneyforward")
    url, state = client.authorization_url()
    code = client.code_from_callback(consent(url, "allow"), state)
    client.exchange_code(code)
    with pytest.raises(errors.AuthenticationError) as caught:
        client.exchange_code(code)
    assert code not in str(caught.value)


def test_wrong_client_secret(fresh_sandbox):
    client = oauth_client(fresh_sandbox, "zoho")
    url, state = client.authorization_url()
    code = client.code_from_callback(consent(url, "allow"), state)
    settings = dataclasses.replace(client.settings, client_secret="x" * 9)
    with pytest.raises(errors.AuthenticationError) as caught:
        OAuthClient(settings).exchange_code(code)
    assert not caught.value.reconnect_required
    assert "client ID or secret" in str(caught.value)
