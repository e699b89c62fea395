"""Headless Chromium: the home page's charts drawn by the shipped Chart.js (nothing leaves
127.0.0.1), the figures' table; list filters (select "Is", chips, company search as you
type); the connection page's fields per provider."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import sync_playwright

from app.models.crm import Company
from app.services.connections import ensure_demo_connections
from tests.documents.conftest import entity as entity
from tests.test_browser import ARGS, CHROMIUM
from tests.test_home import _seed

pytestmark = pytest.mark.browser


@pytest.fixture()
def browser_page(live_server):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        outside, seen = [], []

        def route(r):
            seen.append(r.request.url)
            if r.request.url.startswith("http://127.0.0.1:"):
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()

        def sign_in(username):
            page.goto(f"{live_server.url}/login/")
            page.fill("#username", username)
            page.fill("#password", username)
            page.click("input[type=submit], button[type=submit]")
            page.wait_for_load_state()
            page.goto(f"{live_server.url}/lang/en")

        page.sign_in = sign_in
        page.seen = seen
        yield page
        assert not outside, f"requests left 127.0.0.1: {outside}"
        browser.close()


def test_home_charts_render_from_the_shipped_script(browser_page, live_server, db_session, entity):
    _seed(db_session)
    page = browser_page
    page.sign_in("accounting")
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state()
    assert any(u.endswith("/static/vendor/chartjs/chart.umd.min.js") for u in page.seen)
    for chart in ("chart-ageing", "chart-cash", "chart-pipeline"):
        canvas = page.locator(f"canvas#{chart}")
        assert canvas.get_attribute("data-drawn") == "true", chart
        box = canvas.bounding_box()
        assert box["width"] > 200 and box["height"] > 150, (chart, box)
    # Chart.js holds the same figures as the table screen readers read.
    drawn = page.evaluate("Chart.getChart('chart-ageing').data.datasets[0].data")
    table = page.locator("#figures-ageing tbody tr[data-currency=JPY] td.num:nth-of-type(3)")
    amounts = [int(re.sub(r"[^\d]", "", t)) for t in table.all_inner_texts()]
    assert drawn == amounts == [1000, 5000, 16500, 6000, 7000]
    # "Show figures" makes the table visible
    table = page.locator("#figures-ageing")
    assert "sr-only" in table.get_attribute("class")  # for screen readers until asked for
    assert table.bounding_box()["height"] <= 1
    page.click("#chart-ageing-box .renkei-figures-toggle")
    assert "sr-only" not in table.get_attribute("class")
    assert table.bounding_box()["height"] > 100
    # a bar opens the list behind it
    page.locator("#waiting-overdue-31-60").click()
    page.wait_for_load_state()
    assert "_flt_0_state=overdue" in page.url
    assert page.locator("#filter-chips .renkei-chip").count() == 3  # state, from, to


def test_list_select_filter_chips_and_company_search(browser_page, live_server, db_session, entity):
    company = _seed(db_session)
    db_session.add_all([Company(code=f"X-{n:04}", name=f"検索用会社{n:04}") for n in range(60)])
    db_session.commit()
    page = browser_page
    page.sign_in("admin")
    page.goto(f"{live_server.url}/invoices/list/")
    # the company filter carries no list of companies
    html = page.content()
    assert "rk-remote-select" in html
    assert "検索用会社0001" not in html and json.dumps("検索用会社0001")[1:-1] not in html
    page.click("text=Search")  # FAB's search panel
    page.click("#filter_form .dropdown-toggle")
    page.click("#filter_form a.filter[name=company]")
    row = page.locator("#filter_form table.filters tr").last
    assert row.locator("select.filter-op option").all_inner_texts() == ["Relation", "No Relation"]
    row.locator(".select2-selection").last.click()
    page.locator(".select2-container--open .select2-search__field").fill("ホーム")
    # first the first 20 companies by name, then only those matching what was typed
    page.wait_for_function("document.querySelectorAll('.select2-results__option').length === 1")
    option = page.locator(".select2-results__option", has_text="ホーム商事")
    option.click()
    # a coded column: a select with "Is" only
    page.click("#filter_form .dropdown-toggle")
    page.click("#filter_form a.filter[name=state]")
    state = page.locator("#filter_form table.filters tr").last
    assert state.locator("select.filter-op option").all_inner_texts() == ["Is"]
    state.locator("select.filter_val").select_option("overdue")
    page.click("#filter_form button[type=submit]")
    page.wait_for_load_state()
    assert f"_flt_0_company={company.id}" in page.url and "_flt_0_state=overdue" in page.url
    chips = page.locator("#filter-chips .renkei-chip")
    texts = [re.sub(r"\s+", " ", t).strip() for t in chips.all_inner_texts()]
    assert any("ホーム商事" in t for t in texts) and any("Overdue" in t for t in texts), texts
    assert re.search(r"Record Count:\s*7\b", page.inner_text("body"))
    # removing a chip drops that filter only
    page.locator(".renkei-chip", has_text="Overdue").locator("a.renkei-chip-remove").click()
    page.wait_for_load_state()
    assert "_flt_0_state" not in page.url and f"_flt_0_company={company.id}" in page.url
    assert page.locator("#filter-chips .renkei-chip").count() == 1
    assert re.search(r"Record Count:\s*8\b", page.inner_text("body"))


def test_company_lookup_answers_only_readers_of_companies(app, db_session):
    from tests.test_home import english

    db_session.add_all(
        [Company(code="L-1", name="検索株式会社"), Company(code="L-2", name="別会社")]
    )
    db_session.commit()
    answer = english(app, "readonly").get("/companyview/lookup?q=検索").get_json()
    assert [r["text"] for r in answer["results"]] == ["検索株式会社"]
    anonymous = app.test_client().get("/companyview/lookup?q=検索")
    assert anonymous.status_code in (302, 401, 403)
    assert b"\xe6\xa4\x9c" not in anonymous.get_data()  # no company name leaks


def test_connection_pages_show_the_fields_of_their_provider(browser_page, live_server, db_session):
    connections = ensure_demo_connections(db_session, live_server.url)
    try:
        page = browser_page
        page.sign_in("admin")
        expected = {
            "moneyforward": (False, False),
            "zoho": (True, True),
            "freee": (True, False),
        }
        for key, (organization, data_centre) in expected.items():
            page.goto(f"{live_server.url}/connections/show/{connections[key].id}")
            fields = page.locator("#connection-fields").inner_text()
            assert ("Organization ID" in fields) == organization, (key, fields)
            assert ("Zoho data centre" in fields) == data_centre, (key, fields)
            assert "API base URL" not in fields  # under Advanced, folded
            assert not page.locator("#connection-advanced").get_attribute("open")
            assert page.locator("#connection-advanced summary").inner_text() == "Advanced"
            # not connected: Connect and Disable, no Pause/Resume; above the fields
            verbs = page.locator("#connection-actions button").all_inner_texts()
            assert verbs == ["Connect", "Disable"], verbs
            top = page.locator("#connection-actions").bounding_box()["y"]
            assert top < page.locator("#connection-fields").bounding_box()["y"]
            page.goto(f"{live_server.url}/connections/edit/{connections[key].id}")
            assert (page.locator("#data_centre").count() == 1) == data_centre, key
            assert (page.locator("#organization_id").count() == 1) == organization, key
            assert not page.locator("#api_base_url").is_visible()  # Advanced, folded
        page.goto(f"{live_server.url}/connections/add")
        page.locator("#provider").select_option("moneyforward", force=True)
        page.evaluate("document.getElementById('provider').dispatchEvent(new Event('change'))")
        assert not page.locator("#data_centre").is_visible()
        page.locator("#provider").select_option("zoho", force=True)
        page.evaluate("document.getElementById('provider').dispatchEvent(new Event('change'))")
        assert page.locator("#data_centre").is_visible()
    finally:
        db_session.rollback()
        db_session.execute(sa.text("DELETE FROM connection"))
        db_session.commit()
