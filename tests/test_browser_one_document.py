"""One governed invoice in a browser, per provider: on a deal, "Create invoice" under an
approval rule → the approver approves → it is issued at the provider → paid there →
Refresh status → the Renkei invoice shows the provider's payment, balance 0, and the deal
reads 入金済み."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import sync_playwright

from app.models.crm import Deal
from app.models.documents import ApprovalRule, Document, Payment
from app.models.sync import ExternalDocument
from tests.conftest import drain_queues
from tests.factories import ensure_issuer
from tests.test_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.browser
SCREENS = Path("/tmp/screens")


def _sign_in(browser, base: str, username: str):
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, locale="ja-JP")
    outside: list[str] = []
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(base)
            else (outside.append(route.request.url), route.abort())
        ),
    )
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.fill("#username", username)
    page.fill("#password", username)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state()
    return page, outside


def _finish_run(page, app, redis_conn):
    assert "run=" in page.url
    drain_queues(app, redis_conn)
    page.wait_for_url(lambda url: "run=" not in url, timeout=60_000)
    page.wait_for_load_state()


@pytest.mark.parametrize("provider", ["moneyforward", "zoho", "freee"])
def test_deal_to_paid_through_approval(app, live_server, sample, db_session, redis_conn, provider):
    from tests.sync.conftest import Sandbox, make_connected

    SCREENS.mkdir(exist_ok=True)
    base = live_server.url
    ensure_issuer(db_session)
    db_session.add(ApprovalRule(name="高額", currency="JPY", min_amount=Decimal(100000)))
    deal = Deal(
        title=f"保守サポート {provider}",
        company=sample["acme"],
        stage="won",
        probability=100,
        currency="JPY",
        amount=Decimal("120000"),
    )
    db_session.add(deal)
    db_session.commit()
    box = Sandbox(base, provider)
    box.reset()
    connection = make_connected(db_session, base, provider, f"{provider} (sandbox)")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            admin, admin_outside = _sign_in(browser, base, "admin")
            admin.goto(f"{base}/dealview/show/{deal.id}")
            admin.click(f"a[href='#connection-{connection.id}']")
            admin.click(f"#btn-create-invoice-{connection.id}")
            admin.wait_for_load_state()
            document = db_session.query(Document).filter_by(deal_id=deal.id).one()
            assert document.state == "pending_approval"
            assert document.number in admin.locator("#deal-documents").inner_text()
            invoice_page = admin.locator("#deal-documents a", has_text=document.number)
            invoice_url = base + invoice_page.get_attribute("href")
            admin.screenshot(path=str(SCREENS / f"deal_waiting_{provider}.png"), full_page=True)
            drain_queues(app, redis_conn)
            assert box.invoices() == []  # nothing reaches the provider before approval

            approver, approver_outside = _sign_in(browser, base, "approver")
            approver.goto(invoice_url)
            approver.click("#btn-approve")
            approver.wait_for_load_state()
            drain_queues(app, redis_conn)
            (held,) = box.invoices()
            db_session.expire_all()
            assert db_session.get(Document, document.id).state == "sent"

            box.set_status(held["id"], "paid")  # paid at the provider
            admin.goto(f"{base}/dealview/show/{deal.id}")
            admin.click("#btn-refresh-status")
            admin.wait_for_load_state()
            _finish_run(admin, app, redis_conn)
            assert "入金済み" in admin.locator("#deal-documents").inner_text()
            admin.screenshot(path=str(SCREENS / f"deal_paid_{provider}.png"), full_page=True)

            admin.goto(invoice_url)
            payments = admin.locator("#payments tr.payment-row")
            assert payments.count() == 1
            assert connection.name in payments.first.inner_text()
            assert "132,000" in payments.first.inner_text()
            links = admin.locator("#at-providers tr.provider-link")
            assert links.count() == 1 and "入金済み" in links.first.inner_text()
            admin.screenshot(path=str(SCREENS / f"invoice_paid_{provider}.png"), full_page=True)
            browser.close()
            assert not admin_outside and not approver_outside
        db_session.expire_all()
        paid = db_session.get(Document, document.id)
        assert paid.state == "paid"
        (payment,) = db_session.query(Payment).filter_by(document_id=document.id).all()
        assert payment.connection_id == connection.id
        assert db_session.get(Deal, deal.id).billing_status == "paid"
        assert db_session.query(ExternalDocument).filter_by(document_id=document.id).count() == 1
    finally:
        box.reset()
        db_session.rollback()
        for table in ("sync_failure", "sync_run", "payment", "external_document", "partner_link"):
            db_session.execute(sa.text(f"DELETE FROM {table}"))
        db_session.execute(sa.text("DELETE FROM connection"))
        db_session.commit()
