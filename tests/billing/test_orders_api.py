"""Wholesale over the REST API and on the screens: orders, shipments, closings; bad input
is a 4xx in words; the order page shows ordered / shipped / backordered / billed."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.services.billing import closing
from app.services.documents.lifecycle import today_tokyo
from tests.billing.orders_fixtures import make_order
from tests.conftest import csrf_token, login


@pytest.fixture()
def api(app, wholesale):
    client = app.test_client()
    login_body = {"username": "accounting", "password": "accounting", "provider": "db"}
    token = client.post("/api/v1/security/login", json=login_body).get_json()["access_token"]
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_order_shipment_and_closing_over_the_api(api, wholesale):
    sakura, acme = wholesale["sakura"], wholesale["acme"]
    body = {
        "company_id": sakura.id,
        "customer_reference": "PO-77",
        "lines": [
            {"name": "ボルト", "unit_price": "120", "quantity": "100"},
            {"name": "ナット", "unit_price": "30", "quantity": "50", "tax_rate": "standard_10"},
        ],
    }
    created = api.post("/api/v1/sales_order/", json=body)
    assert created.status_code == 201, created.get_json()
    order = created.get_json()["result"]
    bolt, nut = order["lines"]
    shipped = api.post(
        f"/api/v1/sales_order/{order['id']}/shipment",
        json={"lines": [{"order_line_id": bolt["id"], "quantity": "60"}]},
    )
    assert shipped.status_code == 201, shipped.get_json()
    assert shipped.get_json()["invoice"]["number"].startswith("INV-")
    over = api.post(
        f"/api/v1/sales_order/{order['id']}/shipment?_l_=en",
        json={"lines": [{"order_line_id": bolt["id"], "quantity": "41"}]},
    )
    assert over.status_code == 422
    assert "only 40 left to ship" in str(over.get_json())
    view = api.get(f"/api/v1/sales_order/{order['id']}").get_json()["result"]
    assert [
        (li["ordered"], li["shipped"], li["backordered"], li["billed"]) for li in view["lines"]
    ] == [("100", "60", "40", "60"), ("50", "0", "50", "0")]
    assert len(view["invoices"]) == 1 and len(view["shipments"]) == 1
    listing = api.get(f"/api/v1/sales_order/?company_id={sakura.id}").get_json()
    assert listing["count"] == 1
    # a monthly customer: shipped in the last closed period, closed once
    today = today_tokyo()
    end = closing.latest_closed_date(today, 31)
    order = make_order(acme, "5", days_ago=(today - end).days + 2)
    line_id = order.lines[0].id
    shipped = api.post(
        f"/api/v1/sales_order/{order.id}/shipment",
        json={"shipped_on": end.isoformat(), "lines": [{"order_line_id": line_id, "quantity": 5}]},
    )
    assert shipped.status_code == 201 and shipped.get_json()["invoice"] is None
    first = api.post(f"/api/v1/closing/{acme.id}", json={"closing_date": end.isoformat()})
    assert first.status_code == 201, first.get_json()
    closed = first.get_json()["closing"]
    assert closed["due_date"] == closing.due_date(end, 1, 31).isoformat()
    again = api.post(f"/api/v1/closing/{acme.id}", json={"closing_date": end.isoformat()})
    assert again.status_code == 200 and again.get_json()["closing"]["id"] == closed["id"]


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/sales_order/", {}),
        ("/api/v1/sales_order/", {"company_id": "x", "lines": []}),
        ("/api/v1/sales_order/", {"company_id": 10**30, "lines": []}),
        ("/api/v1/sales_order/", {"company_id": "{sakura}", "lines": [{"quantity": "1"}]}),
        (
            "/api/v1/sales_order/",
            {
                "company_id": "{sakura}",
                "lines": [{"name": "x\x00", "unit_price": "1", "quantity": "1"}],
            },
        ),
        (
            "/api/v1/sales_order/",
            {
                "company_id": "{sakura}",
                "customer_reference": "x" * 101,
                "lines": [{"name": "x", "unit_price": "1", "quantity": "1"}],
            },
        ),
        (
            "/api/v1/sales_order/",
            {
                "company_id": "{sakura}",
                "lines": [{"name": "x", "unit_price": "99999999999999", "quantity": "1000"}],
            },
        ),
        (
            "/api/v1/sales_order/",
            {
                "company_id": "{sakura}",
                "order_date": "2026-13-45",
                "lines": [{"name": "x", "unit_price": "1", "quantity": "1"}],
            },
        ),
        ("/api/v1/sales_order/{order}/shipment", {"lines": "all"}),
        ("/api/v1/sales_order/{order}/shipment", {"lines": [{"order_line_id": True}]}),
        (
            "/api/v1/sales_order/{order}/shipment",
            {"lines": [{"order_line_id": "{line}", "quantity": "NaN"}]},
        ),
        (
            "/api/v1/sales_order/{order}/shipment",
            {"shipped_on": 5, "lines": [{"order_line_id": "{line}", "quantity": "1"}]},
        ),
        ("/api/v1/closing/{acme}", {"closing_date": "yesterday"}),
        ("/api/v1/closing/{acme}", {}),
        ("/api/v1/closing/{sakura}", {"closing_date": "2026-01-31"}),
    ],
)
def test_bad_input_is_a_4xx_in_words(api, wholesale, url, body):
    order = make_order(wholesale["sakura"], "3")
    ids = {
        "sakura": wholesale["sakura"].id,
        "acme": wholesale["acme"].id,
        "order": order.id,
        "line": order.lines[0].id,
    }

    def fill(value):
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            return ids[value[1:-1]]
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    answer = api.post(url.format(**ids), json=fill(body))
    assert 400 <= answer.status_code < 500, answer.get_data(as_text=True)
    assert answer.get_json()


def test_order_page_closings_and_settings_screens(app, wholesale):
    client = app.test_client()
    login(client, "accounting")
    order = make_order(wholesale["sakura"], "10", "2")
    a, b = order.lines
    page = f"/salesorders/page/{order.id}"
    token = csrf_token(client, page)
    answer = client.post(
        f"{page}/ship",
        data={"csrf_token": token, f"qty-{a.id}": "4", "shipped_on": today_tokyo().isoformat()},
    )
    assert answer.status_code == 302
    html = client.get(f"{page}?_l_=en").get_data(as_text=True)
    assert "Backordered" in html and "Post a shipment" in html and "INV-" in html
    assert f'name="qty-{a.id}" value="6"' in html
    answer = client.post(f"{page}/ship?_l_=en", data={"csrf_token": token, f"qty-{a.id}": "7"})
    html = client.get(answer.headers["Location"] + "?_l_=en").get_data(as_text=True)
    assert "only 6 left to ship" in html
    assert client.get(f"/salesorders/show/{order.id}").status_code == 302
    assert client.get("/salesorders/list/").status_code == 200
    closings = client.get("/closings/?_l_=en").get_data(as_text=True)
    assert wholesale["acme"].name in closings and "Close" in closings
    end = closing.latest_closed_date(today_tokyo(), 31)
    answer = client.post(
        f"/closings/{wholesale['acme'].id}/close",
        data={"csrf_token": token, "closing_date": end.isoformat()},
    )
    assert answer.status_code == 302
    closings = client.get("/closings/?_l_=en").get_data(as_text=True)
    assert "closed, nothing shipped" in closings
    assert closings.count("<option value=") == 5  # five older periods still open
    assert client.get("/billingsettings/list/").status_code == 200
    assert client.get("/billingsettings/add").status_code == 200
    sales = app.test_client()
    login(sales, "sales")  # may ship, may not bill
    assert (
        sales.post(
            f"/closings/{wholesale['acme'].id}/close", data={"csrf_token": csrf_token(sales, page)}
        ).status_code
        == 403
    )
    del b
    db.session.rollback()


def test_the_orders_api_never_answers_5xx(world):
    """The API fuzz (tests/test_api_fuzz.py) over the orders' operations only, with more
    examples each, on PostgreSQL and SQLite (the full fuzz covers them too)."""
    import requests
    import schemathesis

    from tests.documents.test_races import bearer
    from tests.test_api_fuzz import _run_operation

    server, _session, sample = world
    make_order(sample["sakura"], "3")
    headers = bearer(server, "admin")
    document = requests.get(f"{server.url}/api/v1/_openapi", headers=headers, timeout=30).json()
    schema = schemathesis.openapi.from_dict(document)
    errors, twists, seen = [], {}, 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if "/sales_order/" not in operation.path and "/closing/" not in operation.path:
            continue
        seen += 1
        _run_operation(operation, server.url, headers, [], [], [], twists, errors)
    assert seen == 5
    assert not errors, "\n".join(map(str, errors[:5]))


def test_a_new_order_from_the_screen_gets_its_number(app, wholesale):
    from app.models.orders import SalesOrder

    client = app.test_client()
    login(client, "sales")
    token = csrf_token(client, "/salesorders/add")
    answer = client.post(
        "/salesorders/add",
        data={
            "csrf_token": token,
            "company": str(wholesale["sakura"].id),
            "order_date": today_tokyo().isoformat(),
            "currency": "JPY",
            "customer_reference": "PO-1",
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    db.session.expire_all()
    order = db.session.query(SalesOrder).one()
    assert order.number == f"SO-{order.id:06d}" and order.created_by.username == "sales"
    # a monthly customer's order in another currency is refused on the form, in words
    answer = client.post(
        "/salesorders/add?_l_=en",
        data={
            "csrf_token": token,
            "company": str(wholesale["acme"].id),
            "order_date": today_tokyo().isoformat(),
            "currency": "USD",
        },
    )
    assert answer.status_code == 200 and "monthly closing in JPY" in answer.get_data(as_text=True)
    assert db.session.query(SalesOrder).count() == 1
