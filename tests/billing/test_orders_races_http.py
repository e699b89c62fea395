"""N identical requests at once over real HTTP, on PostgreSQL and on SQLite (the demo):
8 shipment posts of 3 on an order of 10 ship 9; 8 closing runs of one period make one
invoice (one 201, the others 200 with the same closing)."""

from __future__ import annotations

from app.models.documents import Document
from app.models.orders import ClosingRun, Shipment
from app.services.billing import closing
from app.services.documents.lifecycle import today_tokyo
from tests.billing.orders_fixtures import make_order
from tests.documents.test_races import api_posts, bearer, count, statuses

N = 8


def test_n_shipment_posts_and_n_closings_at_once(world):
    server, session, sample = world
    headers = bearer(server, "accounting")
    order = make_order(sample["sakura"], "10")
    body = {"lines": [{"order_line_id": order.lines[0].id, "quantity": "3"}]}
    results = api_posts(server, headers, f"/api/v1/sales_order/{order.id}/shipment", N, body)
    assert statuses(results) == [201] * 3 + [422] * (N - 3)
    assert count(session, Shipment, Shipment.order_id == order.id) == 3
    session.refresh(order.lines[0])
    assert order.lines[0].shipped_quantity == 9

    today = today_tokyo()
    end = closing.latest_closed_date(today, 31)
    monthly_order = make_order(sample["acme"], "5", days_ago=(today - end).days + 1)
    ship = {
        "shipped_on": end.isoformat(),
        "lines": [{"order_line_id": monthly_order.lines[0].id, "quantity": "5"}],
    }
    assert (
        api_posts(server, headers, f"/api/v1/sales_order/{monthly_order.id}/shipment", 1, ship)[
            0
        ].status_code
        == 201
    )
    url = f"/api/v1/closing/{sample['acme'].id}"
    results = api_posts(server, headers, url, N, {"closing_date": end.isoformat()})
    assert statuses(results) == [200] * (N - 1) + [201]
    assert len({r.json()["closing"]["id"] for r in results}) == 1
    assert count(session, ClosingRun) == 1
    assert count(session, Document, Document.company_id == sample["acme"].id) == 1
