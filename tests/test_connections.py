"""Connections: admin screen, secrets encrypted and never shown, the OAuth2 dance."""

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

SECRET = "renkei-demo-secret"


@pytest.fixture(scope="module")
def sandbox():
    """The provider sandboxes on their own loopback port, as a real provider would be."""
    from app.sandbox import create_sandbox_app

    server = make_server("127.0.0.1", 0, create_sandbox_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture()
def mf_connection(admin_client, db_session, sandbox):
    api, authorize, token = sandbox_urls("moneyforward", sandbox)
    data = {
        "provider": "moneyforward",
        "name": "MF sandbox",
        "client_id": "renkei-demo",
        "client_secret": SECRET,
        "scopes": "",
        "base_currency": "JPY",
        "api_base_url": api,
        "authorize_url": authorize,
        "token_url": token,
    }
    data["csrf_token"] = csrf_token(admin_client, "/connections/add")
    response = admin_client.post("/connections/add", data=data)
    assert response.status_code == 302, re.findall(
        r'alert-danger">(.*?)</div>', response.get_data(as_text=True), re.S
    )
    connection = db_session.query(Connection).filter_by(name="MF sandbox").one()
    yield connection
    db_session.rollback()
    db_session.execute(sa.text("DELETE FROM connection"))
    db_session.commit()


def post(client, url, **data):
    return client.post(
        url, data={"csrf_token": csrf_token(client, "/resetmypassword/form"), **data}
    )


def test_new_connection_gets_defaults_and_encrypted_secret(mf_connection, db_session):
    assert mf_connection.scopes == "mfc/invoice/data.write"
    assert mf_connection.status == "new"
    raw = db_session.execute(sa.text("SELECT client_secret FROM connection")).scalar_one()
    assert raw and SECRET not in raw  # ciphertext at rest
    assert mf_connection.client_secret == SECRET  # plaintext in Python


def test_secret_never_appears_in_pages_or_api(admin_client, mf_connection, api_token):
    pages = [
        "/connections/list/",
        f"/connections/show/{mf_connection.id}",
        f"/connections/edit/{mf_connection.id}",
    ]
    for page in pages:
        html = admin_client.get(page).get_data(as_text=True)
        assert admin_client.get(page).status_code == 200
        assert SECRET not in html, page
    show = admin_client.get(f"/connections/show/{mf_connection.id}").get_data(as_text=True)
    assert "/connections/oauth/callback" in show  # the redirect URI to copy


def test_editing_without_a_secret_keeps_it(admin_client, mf_connection, db_session):
    url = f"/connections/edit/{mf_connection.id}"
    data = {
        "provider": "moneyforward",
        "name": "MF renamed",
        "client_id": "renkei-demo",
        "client_secret": "",
        "base_currency": "JPY",
        "scopes": mf_connection.scopes,
        "api_base_url": mf_connection.api_base_url,
        "authorize_url": mf_connection.authorize_url,
        "token_url": mf_connection.token_url,
        "csrf_token": csrf_token(admin_client, url),
    }
    assert admin_client.post(url, data=data).status_code == 302
    db_session.expire_all()
    connection = db_session.get(Connection, mf_connection.id)
    assert connection.name == "MF renamed" and connection.client_secret == SECRET


def _dance(admin_client, connection, decision="allow"):
    """Press connect, let the sandbox's consent page answer, follow back to Renkei."""
    response = post(admin_client, f"/connections/connect/{connection.id}")
    assert response.status_code == 302
    consent = response.headers["Location"]
    query = parse_qs(urlparse(consent).query)
    assert query["scope"] == ["mfc/invoice/data.write"]
    assert query["state"][0] and query["response_type"] == ["code"]
    back = requests.get(consent + f"&auto={decision}", allow_redirects=False, timeout=10)
    assert back.status_code in (302, 303)
    callback = urlparse(back.headers["Location"])
    return callback, admin_client.get(f"{callback.path}?{callback.query}")


def test_connect_through_the_oauth_dance(admin_client, mf_connection, db_session):
    _callback, response = _dance(admin_client, mf_connection)
    assert response.status_code == 302
    db_session.expire_all()
    connection = db_session.get(Connection, mf_connection.id)
    assert connection.status == "connected"
    assert connection.access_token and connection.refresh_token
    assert connection.token_expires_at is not None
    raw = db_session.execute(sa.text("SELECT access_token FROM connection")).scalar_one()
    assert connection.access_token not in raw


def test_state_is_single_use_and_checked(admin_client, mf_connection, db_session):
    callback, _response = _dance(admin_client, mf_connection)
    again = admin_client.get(f"{callback.path}?{callback.query}", follow_redirects=True)
    html = again.get_data(as_text=True)
    assert "does not match" in html or "一致" in html
    forged = admin_client.get(
        "/connections/oauth/callback?code=x&state=forged", follow_redirects=True
    )
    assert "does not match" in forged.get_data(as_text=True) or "一致" in forged.get_data(
        as_text=True
    )


def test_denied_at_the_provider(admin_client, mf_connection, db_session):
    _callback, response = _dance(admin_client, mf_connection, decision="deny")
    assert response.status_code == 302
    db_session.expire_all()
    connection = db_session.get(Connection, mf_connection.id)
    assert connection.status == "new" and connection.access_token is None
    assert "denied" in connection.last_error


def test_pause_resume_disable(admin_client, mf_connection, db_session):
    _dance(admin_client, mf_connection)
    for action, status in (("pause", "paused"), ("resume", "connected"), ("disable", "disabled")):
        assert post(admin_client, f"/connections/{action}/{mf_connection.id}").status_code == 302
        db_session.expire_all()
        assert db_session.get(Connection, mf_connection.id).status == status
    assert db_session.get(Connection, mf_connection.id).refresh_token is None


def test_state_changes_need_post_and_csrf(admin_client, mf_connection, db_session):
    assert admin_client.get(f"/connections/disable/{mf_connection.id}").status_code == 405
    forged = admin_client.post(f"/connections/disable/{mf_connection.id}")
    assert forged.status_code == 400
    db_session.expire_all()
    assert db_session.get(Connection, mf_connection.id).status == "new"


def test_editing_with_deal_types_and_a_blank_secret_keeps_it(
    admin_client, mf_connection, db_session, sample
):
    """Choosing deal types loads the relation while the form fills the record: an
    autoflush there once wrote the blank secret before the view could restore it."""
    from app.extensions import db

    url = f"/connections/edit/{mf_connection.id}"
    data = {
        "provider": "moneyforward",
        "name": "MF with types",
        "client_id": "renkei-demo",
        "client_secret": "",
        "base_currency": "JPY",
        "scopes": mf_connection.scopes,
        "deal_types": [str(sample["project"].id)],
        "api_base_url": mf_connection.api_base_url,
        "authorize_url": mf_connection.authorize_url,
        "token_url": mf_connection.token_url,
        "csrf_token": csrf_token(admin_client, url),
    }
    # As on a real server, the POST starts from a fresh session (the test client shares
    # the test's app context, where the edit page already loaded the deal types).
    db.session.remove()
    assert admin_client.post(url, data=data).status_code == 302
    db_session.expire_all()
    connection = db_session.get(Connection, mf_connection.id)
    assert connection.name == "MF with types"
    assert [t.id for t in connection.deal_types] == [sample["project"].id]
    assert connection.client_secret == SECRET
    # a secret typed in replaces the stored one
    data.update(client_secret="a-new-secret", csrf_token=csrf_token(admin_client, url))
    db.session.remove()
    assert admin_client.post(url, data=data).status_code == 302
    db_session.expire_all()
    assert db_session.get(Connection, mf_connection.id).client_secret == "a-new-secret"
