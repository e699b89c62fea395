"""Provider URLs may not point to local or private addresses outside the demo/tests:
refused when saved (the connection form) and again before use (jobs)."""

from __future__ import annotations

import re

import pytest

from app.models.connection import Connection
from app.models.sync import SyncRun
from app.services.errors import InvalidInput
from app.services.provider_urls import check_provider_url
from app.services.sync import request_invoice
from tests.conftest import csrf_token
from tests.sync.conftest import user

REFUSED = [
    "http://api.example.com/oauth/token",  # not https
    "https://127.0.0.1/token",
    "https://127.1.2.3:8443/token",
    "https://localhost/token",
    "https://printer.localhost/token",
    "https://10.0.0.5/token",
    "https://172.16.3.4/token",
    "https://192.168.1.10/token",
    "https://169.254.169.254/latest/meta-data/",  # cloud metadata
    "https://[::1]/token",
    "https://[::ffff:127.0.0.1]/token",
    "https://[fd00::1]/token",
    "https://0.0.0.0/token",
    "https://2130706433/token",  # 127.0.0.1 as one number
    "https://0x7f000001/token",
    "https://user:pw@api.example.com/token",
    "ftp://api.example.com/token",
]
ACCEPTED = [
    "https://api.biz.moneyforward.com/authorize",
    "https://accounts.zoho.com/oauth/v2/token",
    "https://93.184.216.34/token",
]


@pytest.fixture()
def guarded(app):
    """Production's rule: no private addresses, https only."""
    saved = app.config["ALLOW_PRIVATE_PROVIDER_URLS"], app.config["PROVIDER_URL_ALLOWED_HOSTS"]
    app.config.update(ALLOW_PRIVATE_PROVIDER_URLS=False, PROVIDER_URL_ALLOWED_HOSTS=[])
    yield app.config
    app.config["ALLOW_PRIVATE_PROVIDER_URLS"], app.config["PROVIDER_URL_ALLOWED_HOSTS"] = saved


@pytest.mark.parametrize("url", REFUSED)
def test_local_private_and_plain_http_urls_are_refused(app, guarded, url):
    with app.app_context(), pytest.raises(InvalidInput):
        check_provider_url(url, "token_url")


@pytest.mark.parametrize("url", ACCEPTED)
def test_public_https_urls_are_accepted(app, guarded, url):
    with app.app_context():
        check_provider_url(url, "token_url")


def test_allow_list_and_the_demo_switch(app, guarded):
    with app.app_context():
        guarded["PROVIDER_URL_ALLOWED_HOSTS"] = ["10.0.0.5"]
        check_provider_url("https://10.0.0.5/token")  # an outgoing proxy, say
        with pytest.raises(InvalidInput):
            check_provider_url("http://10.0.0.5/token")  # still https only
        guarded["ALLOW_PRIVATE_PROVIDER_URLS"] = True
        check_provider_url("http://127.0.0.1:5000/sandbox/moneyforward/oauth/token")


def test_connection_form_refuses_an_internal_token_url(app, admin_client, db_session, mf, guarded):
    url = f"/connections/edit/{mf.id}"
    before = mf.token_url
    data = {
        "provider": "moneyforward",
        "name": mf.name,
        "client_id": "renkei-demo",
        "client_secret": "",
        "base_currency": "JPY",
        "scopes": mf.scopes,
        "api_base_url": "https://api.biz.moneyforward.com",
        "authorize_url": "https://api.biz.moneyforward.com/authorize",
        "token_url": "https://169.254.169.254/latest/meta-data/",
        "csrf_token": csrf_token(admin_client, url),
    }
    html = admin_client.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    assert "169.254.169.254" in " ".join(re.findall(r"alert-danger.*?</div>", html, re.S))
    db_session.expire_all()
    assert db_session.get(Connection, mf.id).token_url == before


def test_job_refuses_a_stored_internal_url_and_calls_nothing(
    app, db_session, mf, jpy_deal, sandbox, run_jobs, guarded
):
    # The connection points at the sandbox on loopback: fine in tests, not in production.
    document, run = request_invoice(jpy_deal, mf, user(app))
    run_jobs()
    db_session.expire_all()
    run = db_session.get(SyncRun, run.id)
    assert run.status == "failed" and "127.0.0.1" in run.message, run.message
    assert run.failures  # with a Retry, once the URL is fixed
    assert sandbox.requests_to("/sandbox/moneyforward") == []
