"""Property: over random sequences of billing runs (some twice), price and quantity changes
and cancellations, no (subscription, period) is billed twice, every period due is billed,
and the amounts reconcile — with the documents, and with the proration rule's exact
integral Σ value(day) / N over each period (within a yen per rounded change)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from app.models.documents import Document
from app.models.subscriptions import SubscriptionChange, SubscriptionPeriod
from app.services.billing import periods, subscriptions
from app.services.billing import run as billing
from tests.billing.conftest import plan_line

pytestmark = pytest.mark.usefixtures("english")

D = dt.date
STARTS = [D(2028, 1, 31), D(2028, 2, 29), D(2027, 12, 30), D(2028, 3, 15)]

step = st.one_of(
    st.tuples(st.just("run"), st.integers(0, 45), st.booleans()),
    st.tuples(st.just("price"), st.integers(0, 20), st.integers(1, 9)),
    st.tuples(st.just("quantity"), st.integers(0, 20), st.integers(1, 9)),
    st.tuples(st.just("cancel"), st.integers(0, 20), st.booleans()),
)


@settings(
    max_examples=40,
    print_blob=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(start=st.sampled_from(STARTS), steps=st.lists(step, min_size=1, max_size=12))
def test_never_twice_and_amounts_reconcile(db_session, make_subscription, start, steps):
    note(f"start={start} steps={steps}")
    subscription = make_subscription(start=start, lines=[plan_line(price="3100", qty="2")])
    sid, line = subscription.id, subscription.lines[0]
    today = start
    history = [(start, Decimal(6200))]  # (effective day, amount per period)
    price, qty = Decimal(3100), Decimal(2)
    last_run = None
    for kind, days, value in steps:
        if subscription.ends_on is not None and today >= subscription.ends_on:
            break
        if kind == "run":
            today += dt.timedelta(days=days)
            billing.run(today=today)
            if value:
                assert billing.run(today=today) == {}
            last_run = today
        elif kind == "cancel":
            if subscription.ends_on is not None:
                continue
            subscriptions.cancel(subscription, at_once=value, today=today)
            if value:
                history.append((today, Decimal(0)))
        else:
            effective = today + dt.timedelta(days=days)
            if subscription.ends_on is not None and effective >= subscription.ends_on:
                continue
            if any(day > effective for day, _ in history):
                continue
            new_price = Decimal(value * 1000) if kind == "price" else price
            new_qty = Decimal(value) if kind == "quantity" else qty
            if (new_price, new_qty) == (price, qty):
                continue
            subscriptions.change_line(
                line, unit_price=new_price, quantity=new_qty, effective_on=effective, today=today
            )
            price, qty = new_price, new_qty
            history.append((effective, price * qty))
    db_session.expire_all()
    rows = db_session.query(SubscriptionPeriod).filter_by(subscription_id=sid).all()
    starts = [r.period_start for r in rows]
    assert len(starts) == len(set(starts)), "a period billed twice"
    if last_run is not None:
        due = [
            p.start
            for p in periods.periods_starting(start, "monthly", last_run)
            if subscription.ends_on is None or p.start < subscription.ends_on
        ]
        # all due ones; beyond them only a period billed on its first day and then
        # cancelled at once that same day
        assert set(due) <= set(starts)
        assert set(starts) - set(due) <= {subscription.ends_on}
    invoice_ids = [r.document_id for r in rows]
    invoiced = db_session.query(Document).filter(Document.id.in_(invoice_ids)).all()
    assert len(invoiced) == len(rows)
    notes = db_session.query(Document).filter(
        Document.kind == "credit_note", Document.source_id.in_(invoice_ids)
    )
    net = sum((Decimal(d.subtotal) for d in invoiced), Decimal(0)) - sum(
        (Decimal(d.subtotal) for d in notes), Decimal(0)
    )
    changes = db_session.query(SubscriptionChange).filter_by(subscription_id=sid).all()
    # settled on an invoice or a credit note (not: dropped after a cancellation)
    settled = sum((Decimal(c.amount) for c in changes if c.document_id), Decimal(0))

    def value_on(day):
        return [amount for effective, amount in history if effective <= day][-1]

    billed_start_values = Decimal(0)
    by_id = {d.id: d for d in invoiced}
    for row in rows:
        if row.period_start == subscription.ends_on == row.period_end:
            continue  # the closing after a cancellation: changes only (in ``settled``)
        period = periods.period_containing(start, "monthly", row.period_start)
        mine = [c for c in changes if c.period_start == period.start]
        # what the period's invoice billed in advance: its plan line
        billed = sum(
            (
                Decimal(x.amount)
                for x in by_id[row.document_id].lines
                if x.name.startswith("Renkei Cloud (")
            ),
            Decimal(0),
        )
        billed_start_values += billed
        exact = (
            sum(
                (value_on(period.start + dt.timedelta(days=k)) for k in range(period.days)),
                Decimal(0),
            )
            / period.days
        )
        actual = billed + sum((Decimal(c.amount) for c in mine), Decimal(0))
        assert abs(actual - exact) <= len(mine), (period, actual, exact)
        if row.period_start < max(starts):
            assert all(c.settled_at for c in mine), "a change of an earlier period left pending"
    assert net == billed_start_values + settled
