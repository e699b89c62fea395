"""Fixtures of the provider-layer tests: real HTTP on loopback, a real Redis db.

Redis: RENKEI_TEST_PROVIDERS_REDIS_URL (unset: a db claimed for this run, see
tests/redis_claim.py), flushed before and after the run. The sandbox fixture serves
``app.sandbox.create_sandbox_app()``.
"""

from __future__ import annotations

import os
import socket

import pytest
import redis as redis_lib
import requests

from tests.redis_claim import run_redis_url

from .scripted import FakeOAuth, ScriptedServer, ServerThread

REDIS_URL = run_redis_url("RENKEI_TEST_PROVIDERS_REDIS_URL")

# The sandbox and the fake servers speak plain http on loopback.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture(scope="session")
def redis_url():
    client = redis_lib.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def redis_client(redis_url):
    client = redis_lib.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def _scripted():
    server = ScriptedServer()
    yield server
    server.stop()


@pytest.fixture
def scripted(_scripted):
    _scripted.reset()
    return _scripted


@pytest.fixture
def fake_oauth():
    server = FakeOAuth()
    yield server
    server.stop()


class SleepRecorder:
    """Injected instead of time.sleep: records the waits, waits for nothing."""

    def __init__(self):
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)

    @property
    def total(self) -> float:
        return sum(self.calls)


@pytest.fixture
def sleeps():
    return SleepRecorder()


@pytest.fixture
def refused_url():
    """A loopback URL where nothing listens (connection refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


class Sandbox:
    """The sandbox app served on loopback, with its control API at hand."""

    def __init__(self, root: str):
        self.root = root

    def base(self, provider: str) -> str:
        return f"{self.root}/sandbox/{provider}"

    def control(self, provider: str, method: str, path: str, **kwargs):
        response = requests.request(
            method, f"{self.base(provider)}/_sandbox/{path}", timeout=10, **kwargs
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def fault(self, provider: str, **fault):
        return self.control(provider, "POST", "faults", json=fault)

    def requests_log(self, provider: str) -> list[dict]:
        return self.control(provider, "GET", "requests")["requests"]

    def register_client(self, provider, client_id, secret, redirect_uri):
        body = {"client_id": client_id, "client_secret": secret, "redirect_uri": redirect_uri}
        return self.control(provider, "POST", "clients", json=body)

    def mint(self, provider: str, client_id: str, **extra) -> dict:
        return self.control(provider, "POST", "tokens", json={"client_id": client_id, **extra})


@pytest.fixture(scope="session")
def sandbox():
    try:
        from app.sandbox import create_sandbox_app
    except ImportError:  # pragma: no cover - the other helper's module not there yet
        pytest.skip("app.sandbox.create_sandbox_app is not available")
    server = ServerThread(create_sandbox_app(validate=True))
    yield Sandbox(server.url)
    server.stop()


@pytest.fixture
def fresh_sandbox(sandbox):
    for provider in ("moneyforward", "zoho", "freee"):
        sandbox.control(provider, "POST", "reset")
    return sandbox
