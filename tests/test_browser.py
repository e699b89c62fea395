"""A person logs in with headless Chromium and works with the deal list."""

import pytest
from playwright.sync_api import sync_playwright

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture()
def page(live_server):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1300, "height": 900})
        outside = []
        # Nothing may load from outside the machine.
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(live_server.url)
                else (outside.append(route.request.url), route.abort())
            ),
        )
        pg = context.new_page()
        yield pg
        assert not outside, f"pages tried to load from outside: {outside}"
        browser.close()


def test_login_and_open_the_deal_list(page, live_server, sample, tmp_path):
    page.goto(f"{live_server.url}/login/")
    page.fill("#username", "admin")
    page.fill("#password", "admin")
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state()
    page.click("text=CRM")
    page.click("a[href='/dealview/list/']")
    page.wait_for_load_state()
    table = page.locator("table.table")
    assert table.locator("text=会計システム導入").count() == 1
    assert table.locator("text=Annual support").count() == 1
    assert page.locator("th", has_text="受注予定日").count() == 1
    page.screenshot(path=str(tmp_path / "deal-list.png"))

    # open the deal and see its lines
    page.click("a.renkei-record-link:text('会計システム導入')")  # the title opens the deal
    page.wait_for_load_state()
    assert page.locator("text=￥319,440").count() == 1
    assert page.locator("td", has_text="お弁当").first.is_visible()  # lines shown unfolded


def test_failed_login_is_refused(page, live_server):
    page.goto(f"{live_server.url}/login/")
    page.fill("#username", "admin")
    page.fill("#password", "wrong")
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state()
    assert "/login" in page.url
    assert page.locator("#password").count() == 1
