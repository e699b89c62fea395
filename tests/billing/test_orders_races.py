"""Wholesale under races on PostgreSQL: N shipments posted at once never ship more than
ordered; N closing runs of one customer and period make one invoice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.extensions import db
from app.models.documents import Document
from app.models.orders import ClosingRun, SalesOrderLine, Shipment, ShipmentLine
from app.services.billing import orders
from app.services.documents.lifecycle import today_tokyo
from app.services.errors import InvalidInput
from tests.billing.orders_fixtures import make_order
from tests.documents.test_races import together

N = 8


def _in_threads(app, call) -> list:
    def run():
        with app.app_context():
            try:
                return call()
            finally:
                db.session.remove()

    return together([run] * N)


def test_n_shipments_at_once_cannot_exceed_the_order(app, db_session, wholesale):
    for company in (wholesale["sakura"], wholesale["acme"]):  # per shipment, monthly
        order = make_order(company, "10")
        order_id, line_id = order.id, order.lines[0].id

        def ship(order_id=order_id, line_id=line_id):
            order = db.session.get(orders.SalesOrder, order_id)
            return orders.post_shipment(order, {line_id: "3"}).shipment.id

        results = _in_threads(app, ship)
        made = [r for r in results if isinstance(r, int)]
        refused = [r for r in results if isinstance(r, InvalidInput)]
        assert len(made) == 3 and len(refused) == N - 3, results
        db_session.expire_all()
        assert db_session.get(SalesOrderLine, line_id).shipped_quantity == Decimal(9)
        shipped = (
            db_session.query(db.func.sum(ShipmentLine.quantity))
            .filter_by(order_line_id=line_id)
            .scalar()
        )
        assert shipped == Decimal(9)
        assert db_session.query(Shipment).filter_by(order_id=order_id).count() == 3
    invoices = db_session.query(Document).filter_by(company_id=wholesale["sakura"].id).count()
    assert invoices == 3  # one per shipment of the per-shipment customer


def test_n_closing_runs_at_once_make_one_invoice(app, db_session, wholesale):
    acme = wholesale["acme"]
    today = today_tokyo()
    end = orders.closing.latest_closed_date(today, 31)
    order = make_order(acme, "5", "7", days_ago=(today - end).days + 3)
    orders.post_shipment(
        order,
        {order.lines[0].id: "5", order.lines[1].id: "2"},
        shipped_on=end - dt.timedelta(days=1),
    )
    orders.post_shipment(order, {order.lines[1].id: "5"}, shipped_on=end)
    company_id = acme.id

    def close():
        company = db.session.get(orders.Company, company_id)
        closed = orders.close_period(company, end)
        return (closed.run.id, closed.created)

    results = _in_threads(app, close)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(created for _run, created in results) == 1
    assert len({run for run, _created in results}) == 1
    db_session.expire_all()
    run = db_session.query(ClosingRun).one()
    assert db_session.query(Document).filter_by(company_id=company_id).count() == 1
    assert sorted(li.quantity for li in run.document.lines) == [2, 5, 5]
    assert db_session.query(ShipmentLine).filter_by(document_id=None).count() == 0
