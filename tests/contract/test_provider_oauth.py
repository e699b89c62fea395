"""What each provider receives from the running app when a person presses Connect.

The settings come from the provider's registry entry (app/providers/<name>/), the one
source the app and these tests share: Money Forward's client authentication as its
アプリポータル registers it (CLIENT_SECRET_BASIC), freee's company selection, Zoho's
offline access. The sandbox registers each app as the provider would, and its token
endpoint refuses any other client authentication than the registered one.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import sqlalchemy as sa
from werkzeug.serving import make_server

from app.models.connection import Connection
from app.providers.catalog import sandbox_urls
from tests.conftest import csrf_token

CALLBACK = "http://localhost/connections/oauth/callback"  # the test client's host
SECRET = "a-client-secret-0123456789"

# What the provider documents, and what its authorization URL and token request carry.
EXPECTED = {
    "moneyforward": dict(
        auth_method="client_secret_basic",
        scope="mfc/invoice/data.write",
        extra={},
        org="",
    ),
    "freee": dict(
        auth_method="client_secret_post",
        scope="read write",
        extra={"prompt": "select_company"},
        org="",  # chosen on freee's consent page, read from the token answer
    ),
    "zoho": dict(
        auth_method="client_secret_post",
        scope="ZohoInvoice.fullaccess.all",
        extra={"access_type": "offline", "prompt": "consent"},
        org="10234695",
    ),
}


@pytest.fixture(scope="module")
def provider_host():
    """The sandboxes on their own loopback port, as a real provider would be."""
    from app.sandbox import create_sandbox_app

    server = make_server("127.0.0.1", 0, create_sandbox_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def control(root: str, provider: str, method: str, path: str, **kwargs):
    response = requests.request(
        method, f"{root}/sandbox/{provider}/_sandbox/{path}", timeout=10, **kwargs
    )
    response.raise_for_status()
    return response.json() if response.content else None


def post(client, url, **data):
    return client.post(
        url, data={"csrf_token": csrf_token(client, "/resetmypassword/form"), **data}
    )


@pytest.fixture()
def fresh(db_session):
    yield
    db_session.rollback()
    db_session.execute(sa.text("DELETE FROM connection"))
    db_session.commit()


def add_connection(admin_client, db_session, root: str, provider: str) -> Connection:
    """A new connection typed on the screen as a person would: app credentials, the
    provider host's URLs, scopes left blank (the provider's defaults)."""
    api, authorize, token = sandbox_urls(provider, root)
    data = {
        "provider": provider,
        "name": f"{provider} real-like",
        "client_id": f"renkei-{provider}-app",
        "client_secret": SECRET,
        "scopes": "",
        "base_currency": "JPY",
        "api_base_url": api,
        "authorize_url": authorize,
        "token_url": token,
        "organization_id": EXPECTED[provider]["org"],
        "data_centre": "com" if provider == "zoho" else "",
    }
    data["csrf_token"] = csrf_token(admin_client, "/connections/add")
    response = admin_client.post("/connections/add", data=data)
    assert response.status_code == 302, re.findall(
        r'alert-danger">(.*?)</div>', response.get_data(as_text=True), re.S
    )
    return db_session.query(Connection).filter_by(name=f"{provider} real-like").one()


@pytest.mark.parametrize("provider", list(EXPECTED))
def test_connect_sends_what_the_provider_documents(
    provider, admin_client, db_session, provider_host, fresh
):
    expected = EXPECTED[provider]
    control(provider_host, provider, "POST", "reset")
    control(
        provider_host,
        provider,
        "POST",
        "clients",
        json={
            "client_id": f"renkei-{provider}-app",
            "client_secret": SECRET,
            "redirect_uri": CALLBACK,
            "token_endpoint_auth_method": expected["auth_method"],
        },
    )
    connection = add_connection(admin_client, db_session, provider_host, provider)

    # Connect: the browser is sent to the provider's authorization endpoint.
    response = post(admin_client, f"/connections/connect/{connection.id}")
    assert response.status_code == 302
    consent = urlparse(response.headers["Location"])
    assert consent.path.endswith(sandbox_urls(provider, "")[1])
    query = {k: v[0] for k, v in parse_qs(consent.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == f"renkei-{provider}-app"
    assert query["redirect_uri"] == CALLBACK
    assert query["scope"] == expected["scope"]
    assert query["state"]
    for name, value in expected["extra"].items():
        assert query.get(name) == value, (name, query)
    assert "client_secret" not in query

    # The person allows access; the provider sends the browser back to Renkei.
    back = requests.get(
        response.headers["Location"] + "&auto=allow", allow_redirects=False, timeout=10
    )
    assert back.status_code in (302, 303), back.text
    callback = urlparse(back.headers["Location"])
    done = admin_client.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 302

    # What the token endpoint received: the client authentication the app was
    # registered with (Basic header for Money Forward, form fields for the others).
    log = control(provider_host, provider, "GET", "requests")["requests"]
    token_calls = [r for r in log if r["path"].endswith(sandbox_urls(provider, "")[2])]
    assert len(token_calls) == 1, token_calls
    call = token_calls[0]
    assert call["status"] == 200
    assert call["client_auth"] == expected["auth_method"]
    assert call["grant_type"] == "authorization_code"
    if expected["auth_method"] == "client_secret_basic":
        assert "client_secret" not in call["form_fields"]
    else:
        assert {"client_id", "client_secret"} <= set(call["form_fields"])

    db_session.expire_all()
    connection = db_session.get(Connection, connection.id)
    assert connection.status == "connected", connection.last_error
    assert connection.refresh_token  # Zoho gives one only with access_type=offline
    if provider == "freee":
        assert connection.organization_id == "2000001"  # the company chosen at freee
