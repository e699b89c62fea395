"""A person sees the exchange rates and a USD invoice's frozen rate in headless Chromium
(screenshots in /tmp/pdfshots for a person to look at)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.models.exchange_rates import ExchangeRate
from app.services.documents import approvals, issuing
from app.services.documents.lifecycle import today_tokyo
from tests.documents.conftest import line
from tests.test_browser import page  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/pdfshots")


@pytest.fixture()
def usd_invoice(db_session, sample, entity, users):
    for days, rate in ((40, "149.85"), (2, "150.25")):
        db_session.add(
            ExchangeRate(
                from_currency="USD",
                to_currency="JPY",
                valid_on=today_tokyo() - dt.timedelta(days=days),
                rate=Decimal(rate),
            )
        )
    db_session.commit()
    doc = issuing.new_document(
        "invoice",
        sample["acme"],
        legal_entity=entity,
        currency="USD",
        lines=[line(name="Consulting", price="1000.00", rate="exempt")],
    )
    approvals.submit(doc, users["accounting"])
    yield doc
    db_session.rollback()
    db_session.execute(sa.text("DELETE FROM exchange_rate"))
    db_session.commit()


def test_rates_and_a_usd_invoice_in_the_browser(page, live_server, usd_invoice):  # noqa: F811
    page.goto(f"{live_server.url}/login/")
    page.fill("#username", "accounting")
    page.fill("#password", "accounting")
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/lang/en")
    page.goto(f"{live_server.url}/exchangerates/list/")
    assert page.locator("td", has_text="150.25").count() == 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "exchange-rates.png"), full_page=True)
    page.goto(f"{live_server.url}/invoices/show/{usd_invoice.id}")
    assert page.locator("#doc-rate").inner_text().startswith("1 USD = 150.25 JPY")
    assert "150,250" in page.locator("#doc-base-total").inner_text()
    page.screenshot(path=str(SHOTS / "usd-invoice.png"), full_page=True)
