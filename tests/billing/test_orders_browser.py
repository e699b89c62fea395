"""Headless Chromium on an order's page: lines ordered / shipped / backordered / billed,
a partial shipment posted from the page, and the closings page."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.services.demo_orders import load_demo_orders
from app.services.documents.lifecycle import today_tokyo
from tests.test_browser import page  # noqa: F401

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/renkei-shots/orders")


def _login(page, live_server, username):  # noqa: F811
    page.goto(f"{live_server.url}/lang/en")
    page.goto(f"{live_server.url}/login/")
    page.fill("#username", username)
    page.fill("#password", username)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state()


def test_order_page_in_a_browser(page, live_server, db_session, entity, users, tmp_path):  # noqa: F811
    from app.models.orders import SalesOrder

    load_demo_orders(db_session, today_tokyo())
    order = db_session.query(SalesOrder).one()
    _login(page, live_server, "accounting")
    page.goto(f"{live_server.url}/salesorders/page/{order.id}")
    rows = page.locator("#order-lines tr.order-line")
    assert rows.count() == 2
    assert rows.nth(0).locator(".backorder").inner_text().strip() == "8"
    assert rows.nth(0).locator(".billed").inner_text().strip() == "32"
    page.fill(f"input[name='qty-{order.lines[0].id}']", "3")
    page.click("#post-shipment button[type=submit]")
    page.wait_for_load_state()
    assert rows.nth(0).locator(".backorder").inner_text().strip() == "5"
    assert page.locator("#shipments tr.shipment-row").count() == 3
    target = SHOTS if SHOTS.parent.exists() else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / "order.png"), full_page=True)
    page.goto(f"{live_server.url}/closings/")
    assert page.locator("#closings tr.closing-row").count() == 1
    page.screenshot(path=str(target / "closings.png"), full_page=True)
