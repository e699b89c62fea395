"""The demo's Money Forward connection, connected through the OAuth dance in a browser."""

import sqlalchemy as sa
from playwright.sync_api import sync_playwright

from app.models.connection import Connection
from app.services.connections import ensure_demo_connection
from tests.test_browser import ARGS, CHROMIUM


def test_connect_money_forward_sandbox_in_the_browser(app, live_server, db_session, tmp_path):
    connection = ensure_demo_connection(db_session, live_server.url)
    try:
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
            assert "/connections/oauth/callback" in page.locator("#redirect-uri").inner_text()
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
