"""The same rules on SQLite (the demo's database): the milestone gate, a period's
invoice, and N runs at once making one invoice (SQLite's write lock serialises them)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.crm import Deal
from app.models.documents import Document, LegalEntity
from app.services.billing import milestones
from app.services.billing import time_entries as tm
from app.services.errors import Forbidden, InvalidInput
from tests.billing.test_milestones import PARTS
from tests.documents.test_races import together
from tests.factories import make_sample

DAY = dt.date(2026, 11, 2)


@pytest.fixture()
def world(sqlite_app):
    from flask import current_app

    with sqlite_app.app_context():
        session = db.session
        sample = make_sample(session)
        session.add(LegalEntity(name="株式会社レンケイ", registration_number="T5835678256246"))
        deal = Deal(
            title="保守",
            company=sample["sakura"],
            stage="won",
            currency="JPY",
            amount=Decimal(1_000_000),
        )
        session.add(deal)
        session.commit()
        sm = current_app.appbuilder.sm
        users = {n: sm.find_user(username=n) for n in ("sales", "accounting", "approver")}
        yield session, deal, users
        session.rollback()
        from tests.conftest import wipe_crm

        wipe_crm(session)


def test_gate_and_period_on_sqlite(sqlite_app, world):
    session, deal, users = world
    contract = milestones.create_contract(deal, PARTS, users["sales"])
    design = contract.parts[1]
    with pytest.raises(InvalidInput):
        milestones.invoice(design, users["accounting"])
    milestones.mark_done(design, users["sales"])
    with pytest.raises(Forbidden):
        milestones.approve_delivery(design, users["sales"])
    milestones.approve_delivery(design, users["approver"])
    assert milestones.invoice(design, users["accounting"]).lines[0].unit_price == 300000
    entries = [
        tm.enter(users["sales"], deal=deal, work_date=DAY, hours="2", rate="5000", description="x")
        for _ in range(3)
    ]
    for entry in entries[:2]:
        tm.approve(entry, users["accounting"])
    tm.reject(entries[2], users["accounting"], "no")
    deal_id, accounting_id = deal.id, users["accounting"].id

    def run():
        from flask_appbuilder.security.sqla.models import User

        with sqlite_app.app_context():
            try:
                made = tm.invoice_period(
                    db.session.get(Deal, deal_id), DAY, DAY, db.session.get(User, accounting_id)
                )
                return made.id if made is not None else None
            finally:
                db.session.remove()

    results = together([run] * 4)
    made = [r for r in results if isinstance(r, int)]
    assert len(made) == 1 and results.count(None) == 3, results
    session.expire_all()
    invoice = session.get(Document, made[0])
    assert len(invoice.lines) == 2
    assert entries[2].document_id is None
