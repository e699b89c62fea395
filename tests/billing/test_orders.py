"""Wholesale orders: partial shipments and backorders, over-shipment refused, invoices
per shipment or by a monthly closing (due by the 支払サイト), voids, the daily job."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from flask_babel import force_locale

from app.extensions import db
from app.models.documents import Document, LegalEntity
from app.models.orders import ClosingRun, ShipmentLine
from app.services.billing import orders
from app.services.documents import lifecycle
from app.services.documents.lifecycle import today_tokyo
from app.services.errors import InvalidInput
from tests.billing.orders_fixtures import make_order, monthly
from tests.factories import make_sample

D = dt.date


def _ship(order, *quantities, user=None, days_ago=0):
    lines = {line.id: q for line, q in zip(order.lines, quantities, strict=False) if q}
    return orders.post_shipment(
        order, lines, user, shipped_on=today_tokyo() - dt.timedelta(days=days_ago)
    )


@pytest.fixture()
def both(any_session):
    """The sample CRM and an issuer on PostgreSQL, then on SQLite."""
    from flask import current_app

    sample = make_sample(any_session)
    any_session.add(LegalEntity(name="株式会社レンケイ", tax_rounding="down"))
    any_session.commit()
    sample["user"] = current_app.appbuilder.sm.find_user(username="sales")
    return sample


def test_partial_shipments_leave_a_backorder_and_each_is_invoiced(both):
    order = make_order(both["sakura"], "10", "4", user=both["user"])
    assert order.number.startswith("SO-")
    first = _ship(order, "6", "4", user=both["user"], days_ago=2)
    a, b = order.lines
    assert (a.shipped_quantity, a.backorder) == (Decimal(6), Decimal(4))
    assert b.backorder == 0
    assert first.invoice is not None and first.invoice.state == "approved"
    assert [li.quantity for li in first.invoice.lines] == [Decimal(6), Decimal(4)]
    assert first.invoice.total == Decimal("11000")  # 10,000 + 10 %
    second = _ship(order, "3", user=both["user"])
    assert a.backorder == Decimal(1)
    assert second.invoice.id != first.invoice.id
    billed = db.session.query(ShipmentLine).filter(ShipmentLine.document_id.isnot(None)).count()
    assert billed == 3


def test_shipping_more_than_remains_is_refused_in_words(both):
    order = make_order(both["sakura"], "5")
    _ship(order, "3")
    with force_locale("en"), pytest.raises(InvalidInput) as refused:
        _ship(order, "2.5")
    assert "only 2 left to ship (ordered 5, shipped 3)" in str(refused.value)
    assert "asked for 2.5" in str(refused.value)
    db.session.refresh(order.lines[0])
    assert order.lines[0].shipped_quantity == Decimal(3)
    for bad in ("0.00001", "-1", "abc", "1e20"):
        with pytest.raises(InvalidInput):
            _ship(order, bad)
    with pytest.raises(InvalidInput):
        orders.post_shipment(order, {999999: "1"})
    with pytest.raises(InvalidInput):
        orders.post_shipment(order, {order.lines[0].id: "1"}, shipped_on="2999-01-01")


def test_bad_orders_are_refused(both):
    for lines in ([], [{"name": "x", "unit_price": "1", "quantity": "0"}], [{"quantity": "1"}]):
        with pytest.raises(InvalidInput):
            orders.create_order(both["sakura"], lines)
    with pytest.raises(InvalidInput):
        orders.create_order(
            both["sakura"], [{"name": "x", "unit_price": "1", "quantity": "1"}], currency="XXX"
        )


def test_monthly_closing_bills_the_period_due_by_the_payment_terms(db_session, wholesale):
    acme, user = wholesale["acme"], wholesale["users"]["accounting"]
    today = today_tokyo()
    end = orders.closing.latest_closed_date(today, 31)
    start, _ = orders.closing.period(end, 31)
    order = make_order(acme, "10", days_ago=(today - start).days + 40)
    inside = _ship(order, "4", days_ago=(today - end).days)  # on the closing day
    before = _ship(order, "1", days_ago=(today - start).days + 1)  # the period before
    after = _ship(order, "2", days_ago=0)  # the next period
    assert inside.invoice is None and before.invoice is None  # monthly: no invoice yet
    closed = orders.close_period(acme, end, user)
    assert closed.created
    invoice = closed.run.document
    assert [li.quantity for li in invoice.lines] == [Decimal(4)]
    assert (closed.run.period_start, closed.run.period_end) == (start, end)
    assert invoice.issue_date == end
    assert invoice.due_date == orders.closing.due_date(end, 1, 31)  # 月末締め翌月末払い
    assert after.shipment.lines[0].document_id is None
    assert before.shipment.lines[0].document_id is None
    # again: the same closing, no second invoice
    again = orders.close_period(acme, end, user)
    assert not again.created and again.run.id == closed.run.id
    # a shipment dated in the closed period is refused
    with force_locale("en"), pytest.raises(InvalidInput, match="already closed"):
        _ship(order, "1", days_ago=(today - end).days)
    # the period not over yet cannot be closed; nor a day that is not a closing date
    with pytest.raises(InvalidInput):
        orders.close_period(acme, orders.closing.closing_date_on_or_after(today, 31), user)
    with pytest.raises(InvalidInput):
        orders.close_period(acme, end - dt.timedelta(days=1), user)
    with pytest.raises(InvalidInput):  # a per-shipment customer has no closing
        orders.close_period(wholesale["sakura"], end, user)


def test_twentieth_closing_paid_the_tenth_of_next_month(db_session, wholesale):
    sakura = wholesale["sakura"]
    monthly(sakura, closing_day=20, pay_months=1, pay_day=10)
    today = today_tokyo()
    end = orders.closing.latest_closed_date(today, 20)
    order = make_order(sakura, "3", days_ago=(today - end).days + 5)
    _ship(order, "3", days_ago=(today - end).days)
    run = orders.close_period(sakura, end).run
    next_month = (end.replace(day=1) + dt.timedelta(days=32)).replace(day=10)
    assert run.document.due_date == next_month


def test_voiding_an_invoice_makes_its_lines_billable_again(db_session, wholesale):
    acme, users = wholesale["acme"], wholesale["users"]
    today = today_tokyo()
    end = orders.closing.latest_closed_date(today, 31)
    order = make_order(acme, "5", days_ago=(today - end).days + 3)
    _ship(order, "5", days_ago=(today - end).days)
    first = orders.close_period(acme, end, users["accounting"]).run
    invoice = first.document
    lifecycle.move(invoice, "void")
    db.session.commit()
    db.session.expire_all()
    assert db.session.query(ShipmentLine).one().document_id is None
    assert not db.session.get(ClosingRun, first.id).active
    second = orders.close_period(acme, end, users["accounting"])
    assert second.created and second.run.document_id != invoice.id
    assert [li.quantity for li in second.run.document.lines] == [Decimal(5)]
    # per shipment: voided, then invoiced again from the shipment
    sakura_order = make_order(wholesale["sakura"], "2")
    posted = _ship(sakura_order, "2")
    lifecycle.move(posted.invoice, "void")
    db.session.commit()
    again = orders.invoice_shipment(posted.shipment, users["sales"])
    assert again.id != posted.invoice.id
    with pytest.raises(InvalidInput):
        orders.invoice_shipment(posted.shipment, users["sales"])


def test_daily_job_closes_customers_whose_closing_day_was_yesterday_in_tokyo(db_session, wholesale):
    acme = wholesale["acme"]
    order = make_order(acme, "5", days_ago=400)
    order.order_date = D(2026, 1, 1)
    db.session.commit()
    # 2026-11-30 15:30 UTC is 2026-12-01 00:30 in Tokyo: yesterday was November's end
    assert orders.daily_closing(dt.datetime(2026, 11, 30, 15, 30)) == {"empty": 1}
    # 14:59 UTC is still 11-30 in Tokyo: nobody closes on the 29th
    assert orders.daily_closing(dt.datetime(2026, 11, 30, 14, 59)) == {}
    assert orders.daily_closing(dt.datetime(2026, 11, 30, 15, 30)) == {"existing": 1}
    run = db.session.query(ClosingRun).one()
    assert (run.period_start, run.period_end) == (D(2026, 11, 1), D(2026, 11, 30))


def test_leap_february_closing(db_session, wholesale):
    acme = wholesale["acme"]
    # 2028-02-29 15:00 UTC = 2028-03-01 00:00 Tokyo
    counts = orders.daily_closing(dt.datetime(2028, 2, 29, 15, 0))
    assert counts == {"empty": 1}
    run = db.session.query(ClosingRun).one()
    assert (run.period_start, run.period_end) == (D(2028, 2, 1), D(2028, 2, 29))
    assert orders.daily_closing(dt.datetime(2028, 2, 28, 15, 0)) == {}  # Tokyo 02-29
    del acme


def test_invoice_documents_are_ordinary_documents(db_session, wholesale):
    order = make_order(wholesale["sakura"], "1")
    posted = _ship(order, "1", user=wholesale["users"]["sales"])
    invoice = db.session.get(Document, posted.invoice.id)
    assert invoice.kind == "invoice" and invoice.number.startswith("INV-")
    from app.models.audit import AuditEntry

    actions = {a.action for a in db.session.query(AuditEntry).filter_by(document_id=invoice.id)}
    assert "order_billing" in actions


def test_the_demo_scheduler_fires_the_closings_at_one_in_tokyo(app, monkeypatch):
    from app.jobs import demo_schedule
    from app.jobs import orders as order_jobs

    queued = []
    monkeypatch.setattr(order_jobs.daily_closing_job, "enqueue", lambda: queued.append(1))
    scheduler = demo_schedule.DemoScheduler(app)
    one_am = dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)  # 12-01 01:00 Tokyo
    assert scheduler.due(dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)) == one_am
    monkeypatch.setattr(
        "app.jobs.sync.scheduled_refresh_job.enqueue", lambda: queued.append("pull")
    )
    scheduler.fire(one_am)
    assert queued == [1]


def test_demo_orders(db_session, entity, users):
    from app.models.orders import SalesOrder
    from app.services.demo_orders import load_demo_orders

    for today in (today_tokyo(),):
        assert load_demo_orders(db_session, today) == {
            "sales_orders": 1,
            "shipments": 2,
            "closing_invoices": 1,
        }
        order = db_session.query(SalesOrder).one()
        assert [line.backorder for line in order.lines] == [Decimal(8), Decimal(0)]
        run = db_session.query(ClosingRun).one()
        assert len(run.document.lines) == 3 and run.document.state == "approved"
        assert load_demo_orders(db_session, today) == {}


def test_the_orders_billing_status_follows_shipments_and_payments(db_session, wholesale):
    from app.services.documents import payments

    order = make_order(wholesale["sakura"], "4")
    assert orders.figures(order).status == "not_shipped"
    invoice = _ship(order, "2").invoice
    assert orders.figures(order).status == "billed"
    lifecycle.move(invoice, "sent")
    db.session.commit()
    payments.record_payment(invoice, Decimal(1000), user=wholesale["users"]["accounting"])
    assert orders.figures(order).status == "partially_paid"
    payments.record_payment(invoice, Decimal(1200), user=wholesale["users"]["accounting"])
    assert orders.figures(order).status == "paid"
    lifecycle.move(_ship(order, "1").invoice, "void")
    db.session.commit()
    assert orders.figures(order).status == "unbilled"


def test_the_daily_job_bills_and_says_so_in_the_trail(db_session, wholesale):
    from app.models.audit import AuditEntry

    acme = wholesale["acme"]
    today = today_tokyo()
    end = orders.closing.latest_closed_date(today, 31)
    order = make_order(acme, "2", days_ago=(today - end).days + 1)
    _ship(order, "2", days_ago=(today - end).days)
    now = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0, 30)) - dt.timedelta(hours=9)
    with force_locale("en"):  # the trail's note is written in the language of the run
        assert orders.daily_closing(now) == {"invoiced": 1}
    run = db.session.query(ClosingRun).one()
    assert run.run_by_id is None and run.document.created_by_id is None
    with force_locale("en"):
        notes = [
            a.note
            for a in db.session.query(AuditEntry).filter_by(
                document_id=run.document_id, action="order_billing"
            )
        ]
    assert len(notes) == 1 and "daily closing job" in notes[0]
