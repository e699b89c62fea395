"""Headless Chromium on a deal with a milestone contract: the panel shows billed, due and
remaining; an approver approves a delivery and accounting invoices it from the page."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.services.billing import milestones
from tests.billing.test_milestones import PARTS
from tests.test_browser import page  # noqa: F401

pytestmark = pytest.mark.browser
SHOTS = Path("/work/shots/gated")


def _login(page, live_server, username):  # noqa: F811
    page.goto(f"{live_server.url}/logout/")
    page.goto(f"{live_server.url}/lang/en")
    page.goto(f"{live_server.url}/login/")
    page.fill("#username", username)
    page.fill("#password", username)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state()


def test_milestones_on_the_deal_page(page, live_server, db_session, deal, users, tmp_path):  # noqa: F811
    contract = milestones.create_contract(deal, PARTS, users["sales"])
    milestones.invoice(contract.parts[0], users["accounting"])
    milestones.mark_done(contract.parts[1], users["sales"])
    _login(page, live_server, "approver")
    page.goto(f"{live_server.url}/dealview/show/{deal.id}")
    row = page.locator("#deal-milestones tr.milestone-part").nth(1)
    row.get_by_role("button", name="Approve delivery").click()
    page.wait_for_load_state()
    _login(page, live_server, "accounting")
    page.goto(f"{live_server.url}/dealview/show/{deal.id}")
    page.locator("#deal-milestones tr.milestone-part").nth(1).get_by_role(
        "button", name="Make the invoice"
    ).click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/dealview/show/{deal.id}")
    panel = page.locator("#deal-milestones")
    assert panel.locator("tr.milestone-part[data-state=invoiced]").count() == 2
    assert "¥400,000" in panel.locator("tr.milestone-remaining").inner_text()
    target = SHOTS if SHOTS.parent.exists() else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(target / "deal_milestones.png"), full_page=True)
    page.goto(f"{live_server.url}/timeentries/list/")
    page.screenshot(path=str(target / "time_entries.png"), full_page=True)
