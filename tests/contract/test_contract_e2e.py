"""Each provider end to end, as a person does it, against a strict sandbox.

A fresh connection (no tokens) is connected through the sandbox's consent page, a
deal's invoice is created, the invoice is marked paid on the sandbox's own page, the
statuses are pulled, and the deal reads paid — every step over real HTTP on the
running app (``live_server``), with the sandbox answering in the providers' own
written forms (its default "strict" mode) and checking each answer against them.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa

from app.models.connection import Connection
from app.models.crm import Deal
from app.models.sync import ExternalDocument
from app.providers.catalog import sandbox_urls
from app.services.sync.clock import business_today

from .test_provider_oauth import EXPECTED, SECRET

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


class Browser:
    """A signed-in person's browser: a requests session with the CSRF token at hand."""

    def __init__(self, root: str):
        self.root = root
        self.http = requests.Session()
        page = self.http.get(f"{root}/login/", timeout=10).text
        token = CSRF.search(page).group(1)
        answer = self.http.post(
            f"{root}/login/",
            data={"username": "admin", "password": "admin", "csrf_token": token},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 302, answer.text[:300]

    def csrf(self) -> str:
        page = self.http.get(f"{self.root}/resetmypassword/form", timeout=10).text
        return CSRF.search(page).group(1)

    def press(self, path: str) -> requests.Response:
        """POST a button of the console (no redirect followed)."""
        return self.http.post(
            f"{self.root}{path}",
            data={"csrf_token": self.csrf()},
            allow_redirects=False,
            timeout=20,
        )


def sandbox(root: str, provider: str, method: str, path: str, **kwargs):
    response = requests.request(
        method, f"{root}/sandbox/{provider}/_sandbox/{path}", timeout=10, **kwargs
    )
    assert response.status_code < 400, response.text
    return response


@pytest.fixture()
def cleanup(db_session):
    yield
    db_session.rollback()
    for table in (
        "mismatch",
        "sync_failure",
        "sync_run",
        "payment",
        "external_document",
        "partner_link",
        "connection",
    ):
        db_session.execute(sa.text(f"DELETE FROM {table}"))
    db_session.commit()


@pytest.mark.parametrize("provider", list(EXPECTED))
def test_connect_create_pay_and_pull(
    provider, db_session, live_server, jpy_deal, run_jobs, cleanup
):
    root = live_server.url
    sandbox(root, provider, "POST", "reset")
    settings = sandbox(root, provider, "GET", "settings").json()["settings"]
    assert settings["forms"] == "strict"  # the default: the providers' own forms
    callback = f"{root}/connections/oauth/callback"
    sandbox(
        root,
        provider,
        "POST",
        "clients",
        json={
            "client_id": f"renkei-{provider}-app",
            "client_secret": SECRET,
            "redirect_uri": callback,
            "token_endpoint_auth_method": EXPECTED[provider]["auth_method"],
        },
    )
    api, authorize, token = sandbox_urls(provider, root)
    connection = Connection(
        provider=provider,
        name=f"{provider} e2e",
        client_id=f"renkei-{provider}-app",
        client_secret=SECRET,
        api_base_url=api,
        authorize_url=authorize,
        token_url=token,
        organization_id=EXPECTED[provider]["org"] or None,
        data_centre="com" if provider == "zoho" else None,
    )
    db_session.add(connection)
    db_session.commit()
    assert connection.status == "new" and not connection.access_token

    person = Browser(root)
    # Connect: Renkei → the provider's consent page → allow → back to Renkei.
    to_provider = person.press(f"/connections/connect/{connection.id}")
    assert to_provider.status_code == 302
    consent_url = to_provider.headers["Location"]
    assert consent_url.startswith(authorize)
    consent = person.http.get(consent_url, timeout=10)
    assert consent.status_code == 200 and 'value="allow"' in consent.text
    fields = dict(HIDDEN.findall(consent.text))
    back = person.http.post(
        consent_url, data={**fields, "decision": "allow"}, allow_redirects=False, timeout=10
    )
    assert back.status_code == 302 and back.headers["Location"].startswith(callback)
    done = person.http.get(back.headers["Location"], allow_redirects=False, timeout=20)
    assert done.status_code == 302
    assert urlsplit(done.headers["Location"]).path == f"/connections/show/{connection.id}"
    db_session.expire_all()
    connection = db_session.get(Connection, connection.id)
    assert connection.status == "connected" and connection.refresh_token
    if provider == "freee":  # the company chosen on freee's consent page
        assert connection.organization_id == "2000001"

    # Create the deal's invoice at the provider.
    created = person.press(f"/dealview/create_invoice/{jpy_deal.id}/{connection.id}")
    assert created.status_code == 302, created.text[:300]
    run_jobs()
    db_session.expire_all()
    document = db_session.query(ExternalDocument).filter_by(deal_id=jpy_deal.id).one()
    assert document.external_id, document.last_error
    assert document.billing_status in ("draft", "unpaid"), document.last_error
    assert document.issue_date == business_today()  # read back from the provider's form
    assert document.total and document.total > 0

    # Paid at the provider: the sandbox page's "Mark paid" button.
    sandbox(
        root, provider, "POST", f"documents/{document.external_id}/status", data={"status": "paid"}
    )

    # Pull the statuses: the deal reads paid.
    pulled = person.press(f"/dealview/refresh/{jpy_deal.id}")
    assert pulled.status_code == 302
    run_jobs()
    db_session.expire_all()
    assert db_session.get(ExternalDocument, document.id).billing_status == "paid"
    assert db_session.get(Deal, jpy_deal.id).billing_status == "paid"

    # Every answer of the sandbox held to the provider's forms (none was refused).
    log = sandbox(root, provider, "GET", "requests").json()["requests"]
    assert not [entry for entry in log if entry.get("validation_error")]
    assert all(entry["status"] < 400 for entry in log if entry["status"]), log
