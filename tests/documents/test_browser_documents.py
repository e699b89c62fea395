"""Issue 5 in a browser: accounting writes an invoice with a line and submits it, the
¥1,000,000 rule sends it to approval, the approver approves it from the queue, accounting
records a partial payment and sees 一部入金 and the audit trail on the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from app.models.documents import Document
from tests.test_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.browser
SCREENS = Path("/tmp/screens")


@pytest.fixture()
def browser(live_server):
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        outside = []

        def session(username):
            """A signed-in page of ``username`` that may load nothing from outside."""
            context = chromium.new_context(viewport={"width": 1300, "height": 1000})
            context.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith(live_server.url)
                    else (outside.append(route.request.url), route.abort())
                ),
            )
            page = context.new_page()
            page.goto(f"{live_server.url}/login/")
            page.fill("#username", username)
            page.fill("#password", username)
            page.click("input[type=submit], button[type=submit]")
            page.wait_for_load_state()
            return page

        yield session
        assert not outside, f"pages tried to load from outside: {outside}"
        chromium.close()


def _choose(page, select_id, value):
    # Select2 hides the real <select>; set it the way Select2 itself does.
    page.evaluate(
        """([id, value]) => { const s = document.getElementById(id); s.value = value;
            s.dispatchEvent(new Event('change', {bubbles: true})); }""",
        [select_id, str(value)],
    )


def test_invoice_approved_then_partially_paid(
    live_server, browser, sample, entity, rules, db_session
):
    SCREENS.mkdir(exist_ok=True)
    base = live_server.url
    accounting = browser("accounting")

    # a new invoice from the add form
    accounting.goto(f"{base}/invoices/add")
    _choose(accounting, "legal_entity", entity.id)
    _choose(accounting, "company", sample["sakura"].id)
    accounting.fill("#recipient_email", "hanako@example.com")
    accounting.click("#model_form button[type=submit]")
    accounting.wait_for_load_state()
    invoice = db_session.query(Document).filter_by(kind="invoice").one()
    show = f"{base}/invoices/show/{invoice.id}"

    # a line from the related list's "+" (the document is filled in)
    accounting.goto(show)
    accounting.click("#InvoiceLineView a[href*='/invoicelines/add']")
    accounting.wait_for_load_state()
    accounting.fill("#name", "導入支援一式")
    accounting.fill("#unit_price", "1500000")
    accounting.fill("#quantity", "1")
    accounting.click("#model_form button[type=submit]")
    accounting.wait_for_load_state()
    accounting.goto(show)
    assert "1,650,000" in accounting.inner_text("#doc-total")

    # submit: the rule asks for approval
    accounting.click("#btn-submit")
    accounting.wait_for_load_state()
    assert "承認待ち" in accounting.inner_text("#document .panel-heading")
    assert "高額" in accounting.inner_text("#approval-history")

    # the approver approves from the queue
    approver = browser("approver")
    approver.goto(f"{base}/approvals/list/")
    approver.screenshot(path=str(SCREENS / "approvals.png"), full_page=True)
    row = approver.locator("tr.approval-pending", has_text=invoice.number)
    row.locator(".btn-approve").click()
    approver.wait_for_load_state()
    assert approver.locator("tr.approval-pending").count() == 0
    assert invoice.number in approver.inner_text("#approvals-decided")

    # sent (as the send job marks it once the mail server accepted it)
    db_session.expire_all()
    sent = db_session.get(Document, invoice.id)
    sent.state = "sent"
    db_session.commit()

    # a partial payment
    accounting.goto(show)
    accounting.fill("#payment-amount", "500000")
    accounting.click("#btn-record-payment")
    accounting.wait_for_load_state()
    assert "一部入金" in accounting.inner_text("#document .panel-heading")
    assert "1,150,000" in accounting.inner_text("#doc-balance")
    trail = accounting.inner_text("#audit-trail")
    assert "approver" in trail and "入金" in trail and "一部入金" in trail
    accounting.screenshot(path=str(SCREENS / "document.png"), full_page=True)

    for name, url in (
        ("document_list", "/invoices/list/"),
        ("audit_trail", "/audittrail/list/"),
        ("receivables", "/receivables/"),
    ):
        accounting.goto(base + url)
        accounting.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)
    assert "1,150,000" in accounting.inner_text("#receivables")
