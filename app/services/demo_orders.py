"""The demo's wholesale customer: 月末締め翌月末払い, one order, two shipments in the last
closed period (the second partial, so a backorder remains) and the closing's invoice —
so Billing → Orders and Closings have something to show."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.models.crm import Company
from app.models.orders import BillingSetting, SalesOrder
from app.services.billing import closing, orders

CODE = "W0001"


def load_demo_orders(session, today: dt.date) -> dict[str, int]:
    """A monthly-closing customer with an order, two shipments and the closing invoice."""
    if session.query(SalesOrder).count():
        return {}
    from flask import current_app

    users = current_app.appbuilder.sm
    sales = users.find_user(username="sales")
    accounting = users.find_user(username="accounting")
    company = session.query(Company).filter_by(code=CODE).one_or_none()
    if company is None:
        company = Company(
            code=CODE,
            name="みなと卸売株式会社",
            kana="ミナトオロシウリ",
            prefecture="神奈川県",
            address1="横浜市中区海岸通1-1",
            email="keiri@minato-oroshi.example",
        )
        session.add(company)
    session.add(
        BillingSetting(
            company=company,
            mode="monthly",
            closing_day=31,
            pay_months=1,
            pay_day=31,
            currency="JPY",
        )
    )
    session.commit()
    end = closing.latest_closed_date(today, closing.MONTH_END)
    start, _ = closing.period(end, closing.MONTH_END)
    order = orders.create_order(
        company,
        [
            {
                "name": "業務用コーヒー豆 1kg",
                "unit_price": Decimal(2400),
                "quantity": Decimal(40),
                "tax_rate": "reduced_8",
            },
            {"name": "紙カップ 1,000個入", "unit_price": Decimal(3800), "quantity": Decimal(10)},
        ],
        sales,
        order_date=start - dt.timedelta(days=3),
        customer_reference="PO-2026-118",
    )
    beans, cups = order.lines
    orders.post_shipment(
        order, {beans.id: Decimal(20), cups.id: Decimal(10)}, sales, shipped_on=start
    )
    orders.post_shipment(
        order, {beans.id: Decimal(12)}, sales, shipped_on=end, note="残り8袋は入荷待ち"
    )
    closed = orders.close_period(company, end, accounting, today=today)
    return {"sales_orders": 1, "shipments": 2, "closing_invoices": int(bool(closed.run.document))}
