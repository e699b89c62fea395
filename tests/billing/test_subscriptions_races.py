"""Once per period under concurrency (PostgreSQL): N billing runs released together, each in
its own thread, app context and session, make exactly one invoice per period; a change
released together with the runs is either billed in the period or prorated after it."""

from __future__ import annotations

import datetime as dt

import pytest

from app.extensions import db
from app.models.documents import Document
from app.models.subscriptions import SubscriptionPeriod
from app.services.billing import run as billing
from tests.billing.conftest import plan_line
from tests.documents.test_races import together

pytestmark = pytest.mark.usefixtures("english")

D = dt.date
RUNS = 8


def _runs_at_once(app, today, n=RUNS):
    def one():
        with app.app_context():
            try:
                return billing.run(today=today)
            finally:
                db.session.remove()

    return together([one] * n)


def test_n_runs_at_once_bill_each_period_once(app, db_session, make_subscription):
    made = [
        make_subscription(start=D(2027, 1, 31), lines=[plan_line(price=str(1000 * (i + 1)))])
        for i in range(3)
    ]
    results = _runs_at_once(app, D(2027, 3, 31))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.get("billed", 0) for r in results) == 9  # 3 subscriptions × 3 periods
    db_session.expire_all()
    rows = db_session.query(SubscriptionPeriod).all()
    assert len(rows) == 9
    assert len({(r.subscription_id, r.period_start) for r in rows}) == 9
    assert db_session.query(Document).filter_by(kind="invoice").count() == 9
    assert {r.subscription_id for r in rows} == {s.id for s in made}
    # a restart, a second scheduler, a retry: nothing more
    assert _runs_at_once(app, D(2027, 3, 31)) == [{}] * RUNS
    db_session.expire_all()
    assert db_session.query(Document).filter_by(kind="invoice").count() == 9


def test_the_unique_row_stops_a_path_that_skips_the_lock(app, db_session, make_subscription):
    subscription = make_subscription(start=D(2027, 4, 1))
    period = billing.due_periods(subscription, D(2027, 4, 1), set())[0]
    assert billing.bill_period(subscription.id, period, D(2027, 4, 1)) == "billed"
    # a second attempt that does not look first: the constraint answers "taken"
    original = billing.billed_period
    try:
        billing.billed_period = lambda *a: None
        assert billing.bill_period(subscription.id, period, D(2027, 4, 1)) == "taken"
    finally:
        billing.billed_period = original
    db_session.expire_all()
    assert db_session.query(Document).filter_by(kind="invoice").count() == 1


def _at_once(app, verb, n=RUNS):
    def one():
        with app.app_context():
            try:
                return verb()
            finally:
                db.session.remove()

    return together([one] * n)


def test_n_cancels_at_once_credit_the_unused_days_once(app, db_session, make_subscription):
    from app.models.subscriptions import Subscription
    from app.services.billing import subscriptions
    from app.services.errors import InvalidInput

    sid = make_subscription(start=D(2027, 4, 1)).id
    billing.run(today=D(2027, 4, 1))

    def cancel():
        subscription = db.session.get(Subscription, sid)
        return subscriptions.cancel(subscription, at_once=True, today=D(2027, 4, 16))

    results = _at_once(app, cancel)
    refused = [r for r in results if isinstance(r, InvalidInput)]
    assert len(refused) == RUNS - 1, results  # "already ended" for all but one
    db_session.expire_all()
    assert db_session.query(Document).filter_by(kind="credit_note").count() == 1
    assert db_session.get(Subscription, sid).ends_on == D(2027, 4, 16)


def test_n_identical_line_changes_at_once_record_one_change(app, db_session, make_subscription):
    from app.models.subscriptions import SubscriptionChange, SubscriptionLine
    from app.services.billing import subscriptions

    subscription = make_subscription(start=D(2027, 4, 1), lines=[plan_line(qty="10")])
    line_id = subscription.lines[0].id
    billing.run(today=D(2027, 4, 1))

    def change():
        line = db.session.get(SubscriptionLine, line_id)
        return subscriptions.change_line(
            line, quantity=15, effective_on=D(2027, 4, 16), today=D(2027, 4, 10)
        )

    results = _at_once(app, change)
    db_session.expire_all()
    changes = db_session.query(SubscriptionChange).filter_by(subscription_id=subscription.id)
    assert changes.count() == 1, results
    assert db_session.get(SubscriptionLine, line_id).quantity == 15
