"""The demo's connections: one per provider, seeded once; Money Forward's connected through
the OAuth dance in a browser."""

import sqlalchemy as sa
from playwright.sync_api import sync_playwright

from app.models.connection import Connection
from app.services.connections import ensure_demo_connections
from tests.test_browser import ARGS, CHROMIUM


def test_connect_money_forward_sandbox_in_the_browser(app, live_server, db_session, tmp_path):
    ensure_demo_connections(db_session, "http://127.0.0.1:1")  # an earlier run, another port
    connection = ensure_demo_connections(db_session, live_server.url)["moneyforward"]
    try:
        # Twice seeded, once each: Money Forward, Zoho and freee, unconnected, on this server.
        rows = db_session.query(Connection).order_by(Connection.id).all()
        assert [(c.name, c.provider) for c in rows] == [
            ("Money Forward (sandbox)", "moneyforward"),
            ("Zoho Invoice (sandbox)", "zoho"),
            ("freee請求書 (sandbox)", "freee"),
        ]
        for row in rows:
            assert row.status == "new" and not row.access_token
            assert row.base_currency == "JPY" and row.deal_types == []
            prefix = f"{live_server.url}/sandbox/{row.provider}/"
            urls = (row.api_base_url, row.authorize_url, row.token_url)
            assert all(u.startswith(prefix) for u in urls)
        ids = [(c.organization_id, c.data_centre) for c in rows]
        assert ids == [(None, None), ("10234695", "com"), ("2000001", None)]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.goto(f"{live_server.url}/login/")
            page.fill("#username", "admin")
            page.fill("#password", "admin")
            page.click("input[type=submit], button[type=submit]")
            page.wait_for_load_state()
            page.goto(f"{live_server.url}/connections/list/")
            row = page.locator("tr", has_text="Money Forward (sandbox)")
            row.locator("a[href*='/connections/show/']").click()
            page.wait_for_load_state()
            # under "Advanced", folded: in the page, not on screen until opened
            assert "/connections/oauth/callback" in page.locator("#redirect-uri").text_content()
            page.click("#btn-connect")
            page.wait_for_load_state()
            assert "/sandbox/moneyforward/oauth/authorize" in page.url  # the consent page
            page.screenshot(path=str(tmp_path / "consent.png"))
            page.click("button[value=allow]")
            page.wait_for_load_state()
            assert f"/connections/show/{connection.id}" in page.url
            assert page.locator(".alert-success").count() == 1
            page.screenshot(path=str(tmp_path / "connected.png"))
            browser.close()
        db_session.expire_all()
        saved = db_session.get(Connection, connection.id)
        assert saved.status == "connected" and saved.refresh_token
    finally:
        db_session.rollback()
        db_session.execute(sa.text("DELETE FROM connection"))
        db_session.commit()
