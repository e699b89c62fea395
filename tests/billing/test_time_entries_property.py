"""A property: over random sequences of mark done / approve / reject / invoice / void,
no milestone and no time entry is ever on two invoices that are not void, and a
rejected or pending time entry is never on an invoice."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models.crm import Deal
from app.models.documents import Document
from app.models.time_entries import TimeEntry
from app.services.billing import milestones
from app.services.billing import time_entries as tm
from app.services.documents import actions
from app.services.errors import Forbidden, InvalidInput

DAY = dt.date(2026, 11, 2)
PARTS = [
    {"kind": "deposit", "name": "着手金", "percent": "20"},
    {"kind": "milestone", "name": "設計", "percent": "30"},
    {"kind": "milestone", "name": "実装", "amount": "250000"},
    {"kind": "final", "name": "検収", "percent": "25"},
]
ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("done"), st.integers(0, 3)),
        st.tuples(st.just("approve_delivery"), st.integers(0, 3)),
        st.tuples(st.just("invoice_part"), st.integers(0, 3)),
        st.tuples(st.just("approve_time"), st.integers(0, 3)),
        st.tuples(st.just("reject_time"), st.integers(0, 3)),
        st.tuples(st.just("invoice_period"), st.integers(0, 40)),
        st.tuples(st.just("void"), st.integers(0, 10)),
    ),
    max_size=25,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=ACTIONS)
def test_nothing_is_on_two_live_invoices(db_session, sample, entity, users, steps):
    deal = Deal(
        title="保守開発",
        company=sample["sakura"],
        stage="won",
        currency="JPY",
        amount=Decimal(1_000_000),
    )
    db_session.add(deal)
    db_session.commit()
    contract = milestones.create_contract(deal, PARTS, users["sales"])
    parts = list(contract.parts)
    entries = [
        tm.enter(
            users["sales"],
            deal=deal,
            work_date=DAY + dt.timedelta(days=i * 10),
            hours="3.5",
            rate="8000",
            description=f"作業 {i}",
        )
        for i in range(4)
    ]
    billed: dict[tuple, list[int]] = defaultdict(list)
    made: list[Document] = []
    for action, arg in steps:
        try:
            if action == "done":
                milestones.mark_done(parts[arg], users["sales"])
            elif action == "approve_delivery":
                milestones.approve_delivery(parts[arg], users["approver"])
            elif action == "invoice_part":
                document = milestones.invoice(parts[arg], users["accounting"])
                billed[("part", parts[arg].id)].append(document.id)
                made.append(document)
            elif action == "approve_time":
                tm.approve(entries[arg], users["accounting"])
            elif action == "reject_time":
                tm.reject(entries[arg], users["accounting"], "違う案件")
            elif action == "invoice_period":
                end = DAY + dt.timedelta(days=arg)
                document = tm.invoice_period(deal, DAY, end, users["accounting"])
                if document is not None:
                    made.append(document)
                    on_it = db_session.query(TimeEntry).filter_by(document_id=document.id).all()
                    assert on_it and all(e.state == "approved" for e in on_it)
                    assert len(on_it) == len(document.lines)
                    for entry in on_it:
                        billed[("entry", entry.id)].append(document.id)
            elif action == "void" and made:
                document = made[arg % len(made)]
                if document.state != "void":
                    actions.perform(document, "void", users["admin"], comment="取消")
        except (InvalidInput, Forbidden):
            db_session.rollback()
    db_session.expire_all()
    for item, document_ids in billed.items():
        live = (
            db_session.query(Document)
            .filter(Document.id.in_(document_ids), Document.state != "void")
            .count()
        )
        assert live <= 1, (item, document_ids)
    for entry in entries:
        db_session.refresh(entry)
        if entry.state != "approved":
            assert entry.document_id is None
