"""OAuth2 servers of the sandboxes: code grant, deny, refresh rotation, expiry."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from .conftest import API, AUTH_SCHEME, DEMO_CLIENT, FREEE_COMPANY, ZOHO_ORG, ok

REDIRECT = "http://127.0.0.1:8080/oauth/callback"
OAUTH = {
    "moneyforward": ("/oauth/authorize", "/oauth/token"),
    "zoho": ("/oauth/v2/auth", "/oauth/v2/token"),
    "freee": ("/public_api/authorize", "/public_api/token"),
}
SCOPE = {
    "moneyforward": {"scope": "mfc/invoice/data.read mfc/invoice/data.write"},
    "zoho": {"scope": "ZohoInvoice.fullaccess.all", "access_type": "offline"},
    "freee": {},
}
# One cheap authenticated call per provider.
PROBE = {
    "moneyforward": ("/office", {}),
    "zoho": ("/organizations", {}),
    "freee": ("/invoices/templates", {"company_id": FREEE_COMPANY}),
}


def authorize(sandbox, provider, auto="allow", **extra) -> dict:
    url = f"{sandbox.url}/sandbox/{provider}{OAUTH[provider][0]}"
    params = {
        "response_type": "code",
        "client_id": DEMO_CLIENT[0],
        "redirect_uri": REDIRECT,
        "state": "st-123",
        "auto": auto,
        **SCOPE[provider],
        **extra,
    }
    response = requests.get(url, params=params, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def token_request(sandbox, provider, **data) -> requests.Response:
    """Client authentication as each provider documents it."""
    url = f"{sandbox.url}/sandbox/{provider}{OAUTH[provider][1]}"
    if provider == "moneyforward":  # client_secret_basic
        return requests.post(url, data=data, auth=DEMO_CLIENT, timeout=10)
    data.update(client_id=DEMO_CLIENT[0], client_secret=DEMO_CLIENT[1])
    return requests.post(url, data=data, timeout=10)


def probe(sandbox, provider, access_token) -> requests.Response:
    path, params = PROBE[provider]
    headers = {"Authorization": f"{AUTH_SCHEME[provider]} {access_token}"}
    return requests.get(
        sandbox.url + API[provider] + path, params=params, headers=headers, timeout=10
    )


def exchange(sandbox, provider, code) -> dict:
    response = token_request(
        sandbox, provider, grant_type="authorization_code", code=code, redirect_uri=REDIRECT
    )
    return ok(response)


@pytest.mark.parametrize("provider", list(OAUTH))
def test_code_grant_echoes_state_and_issues_working_tokens(sandbox, provider):
    query = authorize(sandbox, provider)
    assert query["state"] == "st-123" and query["code"]
    token = exchange(sandbox, provider, query["code"])
    assert token["token_type"].lower() == "bearer"
    assert token["expires_in"] == 3600 and token["refresh_token"]
    ok(probe(sandbox, provider, token["access_token"]))
    if provider == "zoho":
        assert query["accounts-server"].endswith("/sandbox/zoho")
        assert token["api_domain"].endswith("/sandbox/zoho")
    if provider == "freee":
        assert token["company_id"] == FREEE_COMPANY


@pytest.mark.parametrize("provider", list(OAUTH))
def test_deny_redirects_with_access_denied(sandbox, provider):
    query = authorize(sandbox, provider, auto="deny")
    assert query == {"error": "access_denied", "state": "st-123"}


def test_authorize_page_has_allow_and_deny_buttons(sandbox):
    url = f"{sandbox.url}/sandbox/moneyforward/oauth/authorize"
    params = {"response_type": "code", "client_id": DEMO_CLIENT[0], "redirect_uri": REDIRECT}
    params.update(state="s", **SCOPE["moneyforward"])
    page = requests.get(url, params=params, timeout=10)
    assert page.status_code == 200 and "Allow" in page.text and "Deny" in page.text
    allowed = requests.post(
        url, data={**params, "decision": "allow"}, allow_redirects=False, timeout=10
    )
    assert allowed.status_code == 302 and "code=" in allowed.headers["Location"]


def test_unregistered_redirect_uri_is_not_followed(sandbox):
    url = f"{sandbox.url}/sandbox/freee/public_api/authorize"
    params = {"response_type": "code", "client_id": DEMO_CLIENT[0], "auto": "allow"}
    response = requests.get(
        url, params={**params, "redirect_uri": "https://evil.example/cb"}, timeout=10
    )
    assert response.status_code == 400 and "Location" not in response.headers


def test_registered_client_needs_its_exact_redirect_uri(sandbox):
    client = {"client_id": "app-2", "client_secret": "s3cret", "redirect_uri": REDIRECT}
    ok(sandbox.control("freee", "POST", "clients", json=client), 201)
    url = f"{sandbox.url}/sandbox/freee/public_api/authorize"
    params = {"response_type": "code", "client_id": "app-2", "auto": "allow"}
    other = requests.get(url, params={**params, "redirect_uri": REDIRECT + "x"}, timeout=10)
    assert other.status_code == 400
    good = requests.get(
        url, params={**params, "redirect_uri": REDIRECT}, allow_redirects=False, timeout=10
    )
    assert good.status_code == 302


@pytest.mark.parametrize("provider", ["moneyforward", "freee"])
def test_refresh_rotates_and_the_old_refresh_token_is_refused(sandbox, provider):
    first = exchange(sandbox, provider, authorize(sandbox, provider)["code"])
    second = ok(
        token_request(
            sandbox, provider, grant_type="refresh_token", refresh_token=first["refresh_token"]
        )
    )
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    ok(probe(sandbox, provider, second["access_token"]))
    reused = token_request(
        sandbox, provider, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_zoho_refresh_token_needs_offline_access_and_is_kept(sandbox):
    online = exchange(sandbox, "zoho", authorize(sandbox, "zoho", access_type="online")["code"])
    assert "refresh_token" not in online
    offline = exchange(sandbox, "zoho", authorize(sandbox, "zoho")["code"])
    for _ in range(2):  # Zoho does not rotate: the same refresh token keeps working
        refreshed = ok(
            token_request(
                sandbox, "zoho", grant_type="refresh_token", refresh_token=offline["refresh_token"]
            )
        )
        assert "refresh_token" not in refreshed
        ok(probe(sandbox, "zoho", refreshed["access_token"]))


def test_code_is_single_use_and_client_must_authenticate(sandbox):
    code = authorize(sandbox, "moneyforward")["code"]
    exchange(sandbox, "moneyforward", code)
    again = token_request(
        sandbox, "moneyforward", grant_type="authorization_code", code=code, redirect_uri=REDIRECT
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    url = f"{sandbox.url}/sandbox/moneyforward/oauth/token"
    data = {"grant_type": "authorization_code", "code": "x", "redirect_uri": REDIRECT}
    wrong = requests.post(url, data=data, auth=(DEMO_CLIENT[0], "wrong"), timeout=10)
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


def test_pkce_s256_is_checked(sandbox):
    verifier = "v" * 50
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    query = authorize(
        sandbox, "moneyforward", code_challenge=challenge, code_challenge_method="S256"
    )
    bad = token_request(
        sandbox,
        "moneyforward",
        grant_type="authorization_code",
        code=query["code"],
        redirect_uri=REDIRECT,
        code_verifier="nope",
    )
    assert bad.status_code == 400
    query = authorize(
        sandbox, "moneyforward", code_challenge=challenge, code_challenge_method="S256"
    )
    good = token_request(
        sandbox,
        "moneyforward",
        grant_type="authorization_code",
        code=query["code"],
        redirect_uri=REDIRECT,
        code_verifier=verifier,
    )
    assert good.status_code == 200


def test_expired_tokens_get_each_providers_401(sandbox):
    for provider in OAUTH:
        expired = sandbox.token(provider, expires_in=0)["access_token"]
        response = probe(sandbox, provider, expired)
        assert response.status_code == 401, provider
        body = response.json()
        if provider == "moneyforward":
            assert body["error"] == "invalid_token"
            assert "expired" in body["error_description"]
            assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
        elif provider == "zoho":
            assert body == {
                "code": 57,
                "message": "You are not authorized to perform this operation",
            }
        else:
            assert set(body) == {"message", "messages"}
    missing = requests.get(
        sandbox.url + API["zoho"] + "/contacts", params={"organization_id": ZOHO_ORG}, timeout=10
    )
    assert missing.status_code == 401 and missing.json()["code"] == 57
