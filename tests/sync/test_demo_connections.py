"""The demo's Zoho and freee connections work as seeded: Connect goes through the sandbox's
consent page and back, then a deal's invoice is created there (real RQ worker, HTTP)."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from app.models.connection import Connection
from app.models.sync import ExternalDocument, SyncRun
from app.services.connections import ensure_demo_connections
from app.services.sync import request_invoice
from tests.conftest import csrf_token
from tests.sync.conftest import Sandbox, _wipe, user


def _connect(admin_client, connection: Connection) -> None:
    """Press Connect, allow on the sandbox's consent page, follow it back to Renkei."""
    token = csrf_token(admin_client, "/resetmypassword/form")
    response = admin_client.post(
        f"/connections/connect/{connection.id}", data={"csrf_token": token}
    )
    assert response.status_code == 302
    consent = response.headers["Location"]
    assert consent.startswith(connection.authorize_url)  # this server's sandbox
    assert parse_qs(urlparse(consent).query)["response_type"] == ["code"]
    back = requests.get(consent + "&auto=allow", allow_redirects=False, timeout=10)
    assert back.status_code in (302, 303)
    callback = urlparse(back.headers["Location"])
    assert callback.path == "/connections/oauth/callback"
    assert admin_client.get(f"{callback.path}?{callback.query}").status_code == 302


@pytest.mark.parametrize("provider", ["zoho", "freee"])
def test_demo_connection_connects_and_creates_an_invoice(
    provider, app, admin_client, db_session, live_server, sample, run_jobs
):
    box = Sandbox(live_server.url, provider)
    box.reset()
    try:
        connection = ensure_demo_connections(db_session, live_server.url)[provider]
        assert connection.status == "new"
        _connect(admin_client, connection)
        db_session.expire_all()
        connection = db_session.get(Connection, connection.id)
        assert connection.status == "connected", connection.last_error
        assert connection.access_token and connection.refresh_token

        document, run = request_invoice(sample["with_lines"], connection, user(app))
        run_jobs()
        db_session.expire_all()
        run = db_session.get(SyncRun, run.id)
        document = db_session.get(ExternalDocument, document.id)
        assert run.status == "finished" and run.created == 1, run.message
        assert document.external_id and document.number
        assert document.total == Decimal("350995")
        (invoice,) = box.invoices()  # in the organisation / company the sandbox serves
        assert Decimal(str(invoice["amount"])) == Decimal("350995")
        assert invoice["partner"] == "株式会社さくら商事"
    finally:
        box.reset()
        _wipe(db_session)
