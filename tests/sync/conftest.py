"""Fixtures of the sync tests: a Money Forward connection made connected against the
sandbox served by ``live_server``, an RQ worker run, and the sandbox's control API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa

from app.models.crm import Company, Deal
from tests.factories import make_connected_mf


class Sandbox:
    """One provider sandbox's control API over HTTP (Money Forward unless told)."""

    def __init__(self, root: str, provider: str = "moneyforward"):
        self.provider = provider
        self.base = f"{root}/sandbox/{provider}/_sandbox"

    def reset(self) -> None:
        """Forget every record, fault and request."""
        requests.post(f"{self.base}/reset", timeout=10).raise_for_status()

    def fault(self, **body) -> None:
        """Inject a fault (kind, count, path …)."""
        requests.post(f"{self.base}/faults", json=body, timeout=10).raise_for_status()

    def invoices(self) -> list[dict]:
        """Every invoice (billing) the sandbox holds."""
        docs = requests.get(f"{self.base}/documents", timeout=10).json()["documents"]
        return [d for d in docs if d["kind"].startswith(("請求書", "invoice"))]

    billings = invoices  # Money Forward's word

    def set_status(self, doc_id: str, status: str) -> None:
        """Change an invoice's status as a person at the provider would ("paid" …)."""
        url = f"{self.base}/documents/{doc_id}/status"
        requests.post(url, json={"status": status}, timeout=10).raise_for_status()

    def delete(self, doc_id: str) -> None:
        """Delete an invoice at the provider."""
        requests.delete(f"{self.base}/documents/{doc_id}", timeout=10).raise_for_status()

    def pay(self, doc_id: str, amount=None, day: str | None = None) -> dict:
        """Record a payment at the provider (all that is outstanding unless ``amount``;
        today unless ``day``); the invoice as the provider's API answers it."""
        body = {k: v for k, v in (("amount", amount), ("date", day)) if v is not None}
        url = f"{self.base}/documents/{doc_id}/payments"
        response = requests.post(url, json=body, timeout=10)
        response.raise_for_status()
        return response.json()["document"]

    def edit(self, doc_id: str, **values) -> dict:
        """Change an invoice at the provider: ``lines`` (Renkei's form) or ``customer_id``."""
        response = requests.post(f"{self.base}/documents/{doc_id}/edit", json=values, timeout=10)
        response.raise_for_status()
        return response.json()["document"]

    def make_invoice(self, **values) -> dict:
        """An invoice made at the provider, not by Renkei: customer_id, lines, reference …"""
        response = requests.post(f"{self.base}/documents", json=values, timeout=10)
        response.raise_for_status()
        return response.json()["document"]

    def requests_to(self, fragment: str, method: str | None = None) -> list[dict]:
        """The logged API requests whose path contains ``fragment``."""
        log = requests.get(f"{self.base}/requests", timeout=10).json()["requests"]
        return [
            r for r in log if fragment in r["path"] and (method is None or r["method"] == method)
        ]


def _wipe(session) -> None:
    session.rollback()
    for table in (
        "mismatch",
        "sync_failure",
        "sync_run",
        "payment",
        "external_document",
        "partner_link",
        "connection",
    ):
        session.execute(sa.text(f"DELETE FROM {table}"))
    session.commit()


@pytest.fixture()
def sandbox(live_server):
    box = Sandbox(live_server.url)
    box.reset()
    yield box
    box.reset()


@pytest.fixture()
def mf(db_session, live_server, sandbox):
    """A connected Money Forward connection whose tokens were minted by the sandbox."""
    connection = make_connected_mf(db_session, live_server.url, "MF sync", dt.timedelta(hours=1))
    yield connection
    _wipe(db_session)


@pytest.fixture()
def jpy_deal(db_session, sample):
    """A JPY deal without lines: invoiced as its title and contract amount."""
    deal = Deal(
        title="保守サポート 2026",
        company=sample["acme"],
        deal_type=sample["project"],
        stage="won",
        probability=100,
        currency="JPY",
        amount=Decimal("120000"),
    )
    db_session.add(deal)
    db_session.commit()
    return deal


def user(app, username: str = "admin"):
    """A demo user by login."""
    return app.appbuilder.sm.find_user(username=username)


def company(session, code: str) -> Company:
    """A company by code."""
    return session.query(Company).filter_by(code=code).one()


# What differs per provider in the tests: ids, and where its calls go in the request log.
PROVIDERS = {
    "moneyforward": dict(
        org=None,
        invoice_post="/invoice_template_billings",
        customer_post="/api/v3/partners",
        customer_put="/partners/",
        listing="/billings",
        since_param="range_key=updated_at",
        lookup_param="partner_id=",
    ),
    "zoho": dict(
        org="10234695",
        invoice_post="/invoice/v3/invoices",
        customer_post="/invoice/v3/contacts",
        customer_put="/contacts/",
        listing="/invoice/v3/invoices",
        since_param="last_modified_time=",
        lookup_param="reference_number=rk-",
    ),
    "freee": dict(
        org="2000001",
        invoice_post="/iv/invoices",
        customer_post="/api/1/partners",
        customer_put="/api/1/partners/",
        listing="/iv/invoices",
        since_param="start_billing_date=",
        lookup_param="partner_ids=",
    ),
}


def make_connected(session, root: str, provider: str, name: str):
    """A connected ``provider`` connection on the sandbox at ``root``, tokens minted there."""
    from app.models.connection import Connection
    from app.providers.catalog import PROVIDERS as CATALOG
    from app.providers.catalog import sandbox_urls
    from app.providers.tokens import TokenSet
    from app.services.token_store import store_tokens

    api, authorize, token = sandbox_urls(provider, root)
    minted = requests.post(
        f"{root}/sandbox/{provider}/_sandbox/tokens", json={"client_id": "renkei-demo"}, timeout=10
    ).json()
    connection = Connection(
        provider=provider,
        name=name,
        client_id="renkei-demo",
        client_secret="renkei-demo-secret",
        scopes=CATALOG[provider].default_scopes,
        api_base_url=api,
        authorize_url=authorize,
        token_url=token,
        status="connected",
        organization_id=PROVIDERS[provider]["org"],
        data_centre="com" if provider == "zoho" else None,
    )
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    refresh = minted.get("refresh_token")
    store_tokens(connection, TokenSet(minted["access_token"], refresh, expires))
    session.add(connection)
    session.commit()
    return connection


class Case:
    """A provider under test: its connection, its sandbox and its request paths."""

    def __init__(self, provider: str, connection, box: Sandbox):
        self.provider = provider
        self.connection = connection
        self.box = box
        self.paths = PROVIDERS[provider]

    def posts(self, what: str) -> list[dict]:
        """Logged POSTs of invoices ("invoice") or customers ("customer")."""
        return self.box.requests_to(self.paths[f"{what}_post"], "POST")


@pytest.fixture(params=list(PROVIDERS))
def at(request, db_session, live_server):
    """Each provider in turn: a connected connection and its clean sandbox."""
    box = Sandbox(live_server.url, request.param)
    box.reset()
    connection = make_connected(db_session, live_server.url, request.param, f"{request.param} sync")
    yield Case(request.param, connection, box)
    box.reset()
    _wipe(db_session)


@pytest.fixture(autouse=True)
def issuer(request):
    """Invoices from deals are Renkei documents: they need an issuing legal entity."""
    if "db_session" not in request.fixturenames:
        yield None
        return
    from tests.factories import ensure_issuer

    yield ensure_issuer(request.getfixturevalue("db_session"))
