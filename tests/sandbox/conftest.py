"""Fixtures: the three sandboxes served over real HTTP, validated against the specs.

No database or Redis: these tests exercise ``app.sandbox`` alone. Each test starts
from a reset sandbox (state, faults, request log, limits and settings).
"""

from __future__ import annotations

import threading

import pytest
import requests
from werkzeug.serving import make_server

from app.sandbox import create_sandbox_app

PROVIDERS = ("moneyforward", "zoho", "freee")
API = {
    "moneyforward": "/sandbox/moneyforward/api/v3",
    "zoho": "/sandbox/zoho/invoice/v3",
    "freee": "/sandbox/freee/iv",
}
AUTH_SCHEME = {"moneyforward": "Bearer", "zoho": "Zoho-oauthtoken", "freee": "Bearer"}
DEMO_CLIENT = ("renkei-demo", "renkei-demo-secret")
ZOHO_ORG = "10234695"
FREEE_COMPANY = 2000001


class Served:
    """A sandbox app on a loopback port, served threaded like the console."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.thread.join(5)

    def control(self, provider: str, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(
            method, f"{self.url}/sandbox/{provider}/_sandbox/{path}", timeout=10, **kwargs
        )

    def token(self, provider: str, **extra) -> dict:
        response = self.control(
            provider, "POST", "tokens", json={"client_id": DEMO_CLIENT[0], **extra}
        )
        assert response.status_code == 200, response.text
        return response.json()

    def client(self, provider: str, **extra) -> ApiClient:
        return ApiClient(self, provider, self.token(provider, **extra)["access_token"])


class ApiClient:
    """requests against one provider's API with its token (and Zoho's organisation)."""

    def __init__(self, served: Served, provider: str, access_token: str):
        self.base = served.url + API[provider]
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"{AUTH_SCHEME[provider]} {access_token}"
        self.provider = provider

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        if self.provider == "zoho" and kwargs.pop("org", True):
            kwargs.setdefault("params", {}).setdefault("organization_id", ZOHO_ORG)
        return self.session.request(method, self.base + path, timeout=10, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)


def ok(response: requests.Response, status: int = 200) -> dict:
    """The JSON of a response that must have ``status`` (the body is shown if not)."""
    assert response.status_code == status, f"{response.status_code}: {response.text[:2000]}"
    return response.json() if response.content else {}


@pytest.fixture(scope="session")
def served():
    server = Served(create_sandbox_app(validate=True))
    yield server
    server.close()


@pytest.fixture()
def sandbox(served):
    for provider in PROVIDERS:
        ok(served.control(provider, "POST", "reset"))
    return served


@pytest.fixture()
def mf(sandbox):
    """A Money Forward client; the write limit is raised except where a test checks it."""
    ok(sandbox.control("moneyforward", "POST", "settings", json={"writes_per_second": 1000}))
    return sandbox.client("moneyforward")


@pytest.fixture()
def zoho(sandbox):
    return sandbox.client("zoho")


@pytest.fixture()
def freee(sandbox):
    return sandbox.client("freee")
