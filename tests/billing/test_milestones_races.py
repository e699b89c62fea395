"""Billing under races on PostgreSQL: N requests released together (each its own thread,
app context and session) invoice a milestone once, and a period of a project once."""

from __future__ import annotations

import datetime as dt

from app.extensions import db
from app.models.documents import Document
from app.models.milestones import Milestone
from app.models.time_entries import TimeEntry
from app.services.billing import milestones
from app.services.billing import time_entries as tm
from app.services.errors import InvalidInput
from tests.billing.test_milestones import PARTS
from tests.documents.test_races import together

N = 8
DAY = dt.date(2026, 11, 2)


def _at_once(app, call) -> list:
    def run():
        with app.app_context():
            try:
                return call()
            finally:
                db.session.remove()

    return together([run] * N)


def test_n_invoice_requests_for_one_milestone_make_one_invoice(app, db_session, deal, users):
    contract = milestones.create_contract(deal, PARTS, users["sales"])
    part_id = contract.parts[1].id
    milestones.mark_done(contract.parts[1], users["sales"])
    milestones.approve_delivery(contract.parts[1], users["approver"])
    accounting_id = users["accounting"].id

    def invoice():
        from flask_appbuilder.security.sqla.models import User

        part = db.session.get(Milestone, part_id)
        return milestones.invoice(part, db.session.get(User, accounting_id)).id

    results = _at_once(app, invoice)
    made = [r for r in results if isinstance(r, int)]
    assert len(made) == 1, results
    assert all(isinstance(r, InvalidInput) for r in results if not isinstance(r, int)), results
    db_session.expire_all()
    assert db_session.query(Document).filter_by(kind="invoice").count() == 1
    assert db_session.get(Milestone, part_id).document_id == made[0]


def test_n_period_runs_at_once_make_one_invoice(app, db_session, deal, users):
    entries = [
        tm.enter(
            users["sales"],
            deal=deal,
            work_date=DAY + dt.timedelta(days=i),
            hours="8",
            rate="12000",
            description=f"開発 {i}",
        )
        for i in range(4)
    ]
    for entry in entries:
        tm.approve(entry, users["accounting"])
    accounting_id = users["accounting"].id
    start, end = DAY, DAY + dt.timedelta(days=30)

    def run():
        from flask_appbuilder.security.sqla.models import User

        return [d.id for d in tm.invoice_all(start, end, db.session.get(User, accounting_id))]

    results = _at_once(app, run)
    assert not [r for r in results if isinstance(r, Exception)], results
    made = [i for r in results for i in r]
    assert len(made) == 1, results
    db_session.expire_all()
    assert db_session.query(Document).filter_by(kind="invoice").count() == 1
    assert {e.document_id for e in db_session.query(TimeEntry)} == {made[0]}
    assert len(db_session.get(Document, made[0]).lines) == 4


def test_n_approvals_and_rejections_of_one_entry_at_once_decide_it_once(
    app, db_session, deal, users
):
    entry_id = tm.enter(
        users["sales"], deal=deal, work_date=DAY, hours="3", rate="9000", description="打合せ"
    ).id
    accounting_id = users["accounting"].id

    def decide(approve):
        def call():
            from flask_appbuilder.security.sqla.models import User

            with app.app_context():
                try:
                    manager = db.session.get(User, accounting_id)
                    entry = db.session.get(TimeEntry, entry_id)
                    return tm.decide(entry, manager, approve, "重複")
                finally:
                    db.session.remove()

        return call

    results = together([decide(True), decide(False)] * (N // 2) + [decide(True)] * (N % 2))
    refused = [r for r in results if isinstance(r, InvalidInput)]
    assert len(refused) == N - 1, results  # "not waiting for a decision"
    db_session.expire_all()
    assert db_session.get(TimeEntry, entry_id).state in ("approved", "rejected")
