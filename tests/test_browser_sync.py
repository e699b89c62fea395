"""Issue 4 in a browser: an administrator creates a deal's invoice at the Money Forward
sandbox, it is paid there, a status refresh brings 入金済み back to the deal and the list."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import sync_playwright

from app.services.connections import ensure_demo_connections
from tests.conftest import drain_queues
from tests.factories import ensure_issuer
from tests.test_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.browser
SCREENS = Path("/tmp/screens")


@pytest.fixture()
def browser_page(live_server):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1300, "height": 1000})
        outside = []
        # Nothing may load from outside the machine (the sandbox is mounted on live_server).
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(live_server.url)
                else (outside.append(route.request.url), route.abort())
            ),
        )
        yield context.new_page()
        assert not outside, f"pages tried to load from outside: {outside}"
        browser.close()


def finish_run(page, app, redis_conn):
    """The page shows the run's progress bar; run the jobs and wait for its reload."""
    assert "run=" in page.url
    assert page.locator("#sync-progress .progress-bar").count() == 1
    drain_queues(app, redis_conn)
    page.wait_for_url(lambda url: "run=" not in url, timeout=60_000)
    page.wait_for_load_state()


def test_invoice_paid_at_provider_shows_on_deal_and_list(
    app, live_server, sample, db_session, redis_conn, browser_page
):
    SCREENS.mkdir(exist_ok=True)
    page = browser_page
    base = live_server.url
    deal = sample["with_lines"]  # in JPY, like the connection
    ensure_issuer(db_session)
    connection = ensure_demo_connections(db_session, base)["moneyforward"]
    try:
        page.goto(f"{base}/login/")
        page.fill("#username", "admin")
        page.fill("#password", "admin")
        page.click("input[type=submit], button[type=submit]")
        page.wait_for_load_state()
        # connect the sandbox (OAuth dance), as an administrator does once
        page.goto(f"{base}/connections/show/{connection.id}")
        page.click("#btn-connect")
        page.wait_for_load_state()
        page.click("button[value=allow]")
        page.wait_for_load_state()
        assert page.locator(".alert-success").count() == 1

        # the deal page: Create invoice, watch the progress bar
        page.goto(f"{base}/dealview/show/{deal.id}")
        page.click(f"#btn-create-invoice-{connection.id}")
        page.wait_for_load_state()
        page.screenshot(path=str(SCREENS / "deal_progress.png"), full_page=True)
        finish_run(page, app, redis_conn)
        panel = page.locator(f"#connection-{connection.id}")
        assert panel.locator("tr.provider-document").count() == 1
        link = panel.locator("a.open-at-provider")
        assert link.get_attribute("target") == "_blank"
        assert link.get_attribute("rel") == "noopener"

        # paid at the provider: the sandbox's own page has a "Mark paid" button
        page.goto(f"{base}/sandbox/moneyforward/")
        page.locator("button", has_text="Mark paid").first.click()
        page.wait_for_load_state()

        # back on the deal: Refresh status brings 入金済み
        page.goto(f"{base}/dealview/show/{deal.id}")
        page.click("#btn-refresh-status")
        page.wait_for_load_state()
        finish_run(page, app, redis_conn)
        assert "入金済み" in page.locator(f"#connection-{connection.id}").inner_text()
        page.screenshot(path=str(SCREENS / "deal.png"), full_page=True)

        # the list, filtered by billing status "paid"
        page.goto(f"{base}/dealview/list/?_flt_0_billing_status=paid")
        table = page.locator("table.table").last.inner_text()
        assert deal.title in table and "入金済み" in table
        page.screenshot(path=str(SCREENS / "list_paid.png"), full_page=True)

        # the sync history
        page.goto(f"{base}/sync/history/list/")
        assert page.locator("table.table").last.locator("tbody tr").count() >= 2
        page.screenshot(path=str(SCREENS / "history.png"), full_page=True)
    finally:
        db_session.rollback()
        for table in ("sync_failure", "sync_run", "payment", "external_document", "partner_link"):
            db_session.execute(sa.text(f"DELETE FROM {table}"))
        db_session.execute(sa.text("DELETE FROM connection"))
        db_session.commit()


@pytest.mark.parametrize("provider", ["zoho", "freee"])
def test_zoho_and_freee_invoices_from_the_deal_page(
    app, live_server, sample, db_session, redis_conn, browser_page, provider
):
    from tests.sync.conftest import Sandbox, make_connected

    page = browser_page
    base = live_server.url
    deal = sample["with_lines"]
    ensure_issuer(db_session)
    box = Sandbox(base, provider)
    box.reset()
    connection = make_connected(db_session, base, provider, f"{provider} (sandbox)")
    try:
        page.goto(f"{base}/login/")
        page.fill("#username", "admin")
        page.fill("#password", "admin")
        page.click("input[type=submit], button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{base}/dealview/show/{deal.id}")
        page.click(f"a[href='#connection-{connection.id}']")
        page.click(f"#btn-create-invoice-{connection.id}")
        page.wait_for_load_state()
        finish_run(page, app, redis_conn)
        page.click(f"a[href='#connection-{connection.id}']")
        panel = page.locator(f"#connection-{connection.id}")
        assert panel.locator("tr.provider-document").count() == 1
        assert "350,995" in panel.inner_text()
        page.goto(f"{base}/sandbox/{provider}/")
        page.locator("button", has_text="Mark paid").first.click()
        page.wait_for_load_state()
        page.goto(f"{base}/dealview/show/{deal.id}")
        page.click("#btn-refresh-status")
        page.wait_for_load_state()
        finish_run(page, app, redis_conn)
        page.goto(f"{base}/dealview/list/?_flt_0_billing_status=paid")
        table = page.locator("table.table").last.inner_text()
        assert deal.title in table and "入金済み" in table
        page.screenshot(path=str(SCREENS / f"list_paid_{provider}.png"), full_page=True)
    finally:
        box.reset()
        db_session.rollback()
        for table in ("sync_failure", "sync_run", "payment", "external_document", "partner_link"):
            db_session.execute(sa.text(f"DELETE FROM {table}"))
        db_session.execute(sa.text("DELETE FROM connection"))
        db_session.commit()
