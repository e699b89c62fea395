"""Property: over random shipments, closings, voids and re-invoicing, no shipment line is
on two invoices that are not void, and what is billed never exceeds what shipped."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models.crm import Company
from app.models.documents import Document
from app.models.orders import BillingSetting, ShipmentLine
from app.services.billing import closing, orders
from app.services.documents import lifecycle
from app.services.documents.lifecycle import today_tokyo
from app.services.errors import InvalidInput

_codes = itertools.count(1)

ship = st.tuples(st.just("ship"), st.integers(0, 1), st.integers(0, 4), st.integers(0, 75))
operation = st.one_of(
    ship,
    ship,
    st.tuples(st.just("close"), st.integers(0, 2)),
    st.tuples(st.just("void"), st.integers(0, 20)),
    st.tuples(st.just("invoice"), st.integers(0, 20)),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    mode=st.sampled_from(["per_shipment", "monthly"]),
    closing_day=st.sampled_from(closing.CLOSING_DAYS),
    ops=st.lists(operation, min_size=6, max_size=24),
)
def test_no_line_billed_twice_and_never_more_than_shipped(
    db_session, entity, mode, closing_day, ops
):
    today = today_tokyo()
    company = Company(code=f"PROP-{next(_codes)}", name="プロパティ商店")
    db.session.add(company)
    db.session.add(BillingSetting(company=company, mode=mode, closing_day=closing_day))
    db.session.commit()
    order_list = [
        orders.create_order(
            company,
            [
                {"name": "a", "unit_price": "100", "quantity": "5"},
                {"name": "b", "unit_price": "7", "quantity": "3"},
            ],
            order_date=today - dt.timedelta(days=120),
        )
        for _ in range(2)
    ]
    closed_dates = [closing.latest_closed_date(today, closing_day)]
    for _ in range(2):
        closed_dates.append(closing.previous_closing_date(closed_dates[-1], closing_day))
    history: dict[int, set[int]] = {}
    shipments = []

    def remember(invoice):
        if invoice is not None:
            ids = {sl.id for sl in db.session.query(ShipmentLine).filter_by(document_id=invoice.id)}
            assert invoice.id not in history
            history[invoice.id] = ids

    for op in ops:
        try:
            if op[0] == "ship":
                order = order_list[op[1]]
                line = order.lines[op[2] % 2]
                posted = orders.post_shipment(
                    order,
                    {line.id: str(op[2] % 3 + 1)},
                    shipped_on=today - dt.timedelta(days=op[3]),
                )
                shipments.append(posted.shipment)
                remember(posted.invoice)
            elif op[0] == "close":
                closed = orders.close_period(company, closed_dates[op[1]])
                if closed.created:
                    remember(closed.run.document)
            elif op[0] == "void" and history:
                invoice = db.session.get(Document, sorted(history)[op[1] % len(history)])
                if invoice.state != "void":
                    lifecycle.move(invoice, "void")
                    db.session.commit()
            elif op[0] == "invoice" and shipments:
                remember(orders.invoice_shipment(shipments[op[1] % len(shipments)]))
        except InvalidInput:
            pass
    db.session.expire_all()
    live = {
        doc_id: lines
        for doc_id, lines in history.items()
        if db.session.get(Document, doc_id).state != "void"
    }
    event(f"invoices made: {min(len(history), 3)}{'+' if len(history) > 3 else ''}")
    event(f"invoices voided: {'some' if len(live) < len(history) else 'none'}")
    seen: set[int] = set()
    for lines in live.values():
        assert not (lines & seen), "a shipment line is on two invoices that are not void"
        seen |= lines
    billed = defaultdict(Decimal)
    for doc_id, lines in live.items():
        invoice = db.session.get(Document, doc_id)
        assert len(invoice.lines) == len(lines)
        for sl_id in lines:
            shipment_line = db.session.get(ShipmentLine, sl_id)
            assert shipment_line.document_id == doc_id
            billed[shipment_line.order_line_id] += shipment_line.quantity
    for order in order_list:
        for line in order.lines:
            assert billed[line.id] <= line.shipped_quantity <= line.quantity
    # every line still marked billed points at a live invoice that lists it
    ours = [line.id for order in order_list for line in order.lines]
    for shipment_line in db.session.query(ShipmentLine).filter(
        ShipmentLine.document_id.isnot(None), ShipmentLine.order_line_id.in_(ours)
    ):
        assert shipment_line.id in live.get(shipment_line.document_id, set())
