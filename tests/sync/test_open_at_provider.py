"""The deal page's "Open at provider": a Renkei route that hands the person the
document — Money Forward's PDF fetched over HTTP with the connection's token (its
pdf_url answers nobody without one), Zoho's and freee's own pages by redirect — and
turns a provider's failure into a message on the deal page, never a 500."""

from __future__ import annotations

import pytest
import requests
from flask_babel import gettext

from app.models.sync import ExternalDocument
from app.services.sync import request_invoice
from tests.conftest import login
from tests.sync.conftest import Sandbox, _wipe, make_connected, user


def _created(app, db_session, deal, connection, run_jobs) -> ExternalDocument:
    document, _run = request_invoice(deal, connection, user(app))
    run_jobs()
    db_session.expire_all()
    document = db_session.get(ExternalDocument, document.id)
    assert document.external_id, document.last_error
    return document


def _route(document) -> str:
    return f"/dealview/provider_document/{document.id}"


@pytest.fixture()
def quick(app):
    """A 1-second read timeout, as in the fault tests."""
    saved = app.config.get("PROVIDER_TIMEOUTS")
    app.config["PROVIDER_TIMEOUTS"] = (2.0, 1.0)
    yield
    app.config["PROVIDER_TIMEOUTS"] = saved


@pytest.fixture()
def outsider(app, db_session):
    """A signed-in person whose profile may not read deals."""
    sm = app.appbuilder.sm
    role = sm.find_role("NoDeals") or sm.add_role("NoDeals")
    person = sm.find_user(username="nodeals") or sm.add_user(
        "nodeals", "No", "Deals", "nodeals@example.com", role, password="nodeals"
    )
    client = app.test_client()
    login(client, "nodeals")
    yield client
    db_session.delete(db_session.merge(person))
    db_session.commit()


def test_money_forward_link_streams_the_pdf_fetched_with_the_token(
    app, db_session, admin_client, mf, jpy_deal, sandbox, run_jobs
):
    document = _created(app, db_session, jpy_deal, mf, run_jobs)
    pdf_url = document.provider_url
    assert pdf_url.endswith(f"/billings/{document.external_id}.pdf")
    assert requests.get(pdf_url, timeout=10).status_code == 401  # what a click used to get
    html = admin_client.get(f"/dealview/show/{jpy_deal.id}").get_data(as_text=True)
    assert f'href="{_route(document)}"' in html and pdf_url not in html
    response = admin_client.get(_route(document))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline") and f"invoice-{document.number}.pdf" in disposition
    fetched = sandbox.requests_to(f"/billings/{document.external_id}.pdf", "GET")
    # the anonymous request above, then Renkei's over HTTP, accepted with the token
    assert [r["status"] for r in fetched] == [401, 200]


def test_reader_without_deal_rights_is_refused(
    app, db_session, outsider, mf, jpy_deal, sandbox, run_jobs
):
    document = _created(app, db_session, jpy_deal, mf, run_jobs)
    assert outsider.get(_route(document)).status_code == 403
    assert sandbox.requests_to(".pdf") == []


def _flashed(client, response, deal_id: int) -> str:
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/dealview/show/{deal_id}")
    return client.get(response.headers["Location"]).get_data(as_text=True)


def _says(html: str, msgid: str, **values) -> bool:
    parts = gettext(msgid, reason="\x00", **values).split("\x00")
    return all(part in html for part in parts)


UNREACHABLE = "%(provider)s could not be reached (%(reason)s); try again later."


def test_provider_error_is_flashed_on_the_deal_not_a_500(
    app, db_session, admin_client, mf, jpy_deal, sandbox, run_jobs
):
    document = _created(app, db_session, jpy_deal, mf, run_jobs)
    sandbox.fault(kind="500", count=5, path=r"\.pdf$", method="GET")
    response = admin_client.get(_route(document))
    html = _flashed(admin_client, response, jpy_deal.id)
    assert "alert-danger" in html
    assert _says(html, UNREACHABLE, provider="Money Forward")
    assert "Internal Server Error (injected fault)" in html  # the provider's own words
    assert len(sandbox.requests_to(".pdf", "GET")) == 2  # one retry, then the message


def test_provider_timeout_is_flashed_on_the_deal(
    app, db_session, admin_client, mf, jpy_deal, sandbox, run_jobs, quick
):
    document = _created(app, db_session, jpy_deal, mf, run_jobs)
    sandbox.fault(kind="slow", delay=2.5, count=5, path=r"\.pdf$", method="GET")
    response = admin_client.get(_route(document))
    html = _flashed(admin_client, response, jpy_deal.id)
    assert _says(html, UNREACHABLE, provider="Money Forward")
    assert "did not answer in time" in html


def test_document_deleted_at_the_provider_is_said_in_words(
    app, db_session, admin_client, mf, jpy_deal, sandbox, run_jobs
):
    document = _created(app, db_session, jpy_deal, mf, run_jobs)
    sandbox.delete(document.external_id)
    response = admin_client.get(_route(document))
    html = _flashed(admin_client, response, jpy_deal.id)
    gone = gettext("The document no longer exists at %(provider)s.", provider="Money Forward")
    assert gone in html


@pytest.fixture()
def connect(db_session, live_server):
    """connect(provider): a connected connection to that sandbox, cleaned up after."""
    boxes = []

    def make(provider: str):
        box = Sandbox(live_server.url, provider)
        box.reset()
        boxes.append(box)
        return make_connected(db_session, live_server.url, provider, f"{provider} open"), box

    yield make
    for box in boxes:
        box.reset()
    _wipe(db_session)


@pytest.mark.parametrize("provider", ["zoho", "freee"])
def test_zoho_and_freee_links_open_the_providers_own_page(
    app, db_session, admin_client, live_server, connect, jpy_deal, run_jobs, provider
):
    connection, _box = connect(provider)
    document = _created(app, db_session, jpy_deal, connection, run_jobs)
    page = document.provider_url
    assert page.startswith(f"{live_server.url}/sandbox/{provider}/")
    response = admin_client.get(_route(document))
    assert response.status_code == 302 and response.headers["Location"] == page
    assert requests.get(page, timeout=10).status_code == 200  # a browser opens it
    # Without a kept link, the document is read again for a fresh one.
    document.provider_url = None
    db_session.commit()
    response = admin_client.get(_route(document))
    assert response.status_code == 302 and response.headers["Location"] == page


def test_zoho_invoice_without_a_page_is_fetched_as_pdf(
    app, db_session, admin_client, connect, jpy_deal, run_jobs, monkeypatch
):
    from app.providers.zoho.client import ZohoInvoiceClient

    connection, box = connect("zoho")
    document = _created(app, db_session, jpy_deal, connection, run_jobs)
    document.provider_url = None
    db_session.commit()
    read = ZohoInvoiceClient.get_invoice

    def without_page(self, invoice_id):
        return {**read(self, invoice_id), "invoice_url": None}

    monkeypatch.setattr(ZohoInvoiceClient, "get_invoice", without_page)
    response = admin_client.get(_route(document))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    pdf_calls = [
        r
        for r in box.requests_to(f"/invoices/{document.external_id}")
        if "accept=pdf" in r["query"]
    ]
    assert [r["status"] for r in pdf_calls] == [200]
