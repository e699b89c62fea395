"""The demo's milestone contract and approved time entries, with their invoices."""

from __future__ import annotations

from app.models.milestones import MilestoneContract
from app.models.time_entries import TimeEntry
from app.services.billing import milestones


def test_the_demo_has_a_milestone_contract_and_billed_time(app, db_session, users):
    from app.services.demo_data import load_demo_data

    counts = load_demo_data(db_session, owners=[users["sales"].id])
    assert counts["milestone_contracts"] == 1
    contract = db_session.query(MilestoneContract).one()
    states = [p.state for p in contract.parts]
    assert states == ["invoiced", "invoiced", "pending", "pending"]
    summary = milestones.summary(contract)
    assert (summary["billed"], summary["remaining"]) == (1_800_000, 1_200_000)
    entries = db_session.query(TimeEntry).all()
    billed = {e.document_id for e in entries if e.document_id}
    assert len(billed) == 1
    assert sorted(e.state for e in entries) == ["approved"] * 4 + ["pending", "rejected"]
    client = app.test_client()
    from tests.conftest import login

    login(client, "accounting")
    page = client.get(f"/dealview/show/{contract.deal_id}").get_data(as_text=True)
    assert page.count('class="milestone-part"') == 4
    assert client.get("/timeentries/list/").status_code == 200
