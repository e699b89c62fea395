"""The demo's milestone contract and time & materials (issue 17): one customer's deal
split into a deposit (invoiced), two milestones (the first done, approved by another
person and invoiced) and a final payment; one project with last month's approved time
entries and their invoice, and this month's entries waiting or rejected."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.models.crm import Company, Deal
from app.models.milestones import MilestoneContract


def _user(name):
    from flask import current_app

    return current_app.appbuilder.sm.find_user(username=name)


def load_demo_gated(session, today: dt.date) -> dict[str, int]:
    """Idempotent: nothing when a milestone contract exists already."""
    if session.query(MilestoneContract).count():
        return {}
    companies = session.query(Company).order_by(Company.code).all()
    if len(companies) < 3:
        return {}
    from app.services.billing import milestones
    from app.services.billing import time_entries as tm

    sales, approver, accounting = _user("sales"), _user("approver"), _user("accounting")
    if None in (sales, approver, accounting):
        return {}
    web = Deal(
        title="Webサイト刷新 (マイルストーン契約)",
        company=companies[1],
        stage="won",
        currency="JPY",
        amount=Decimal(3_000_000),
        owner=sales,
    )
    project = Deal(
        title="システム保守 (タイム＆マテリアル)",
        company=companies[2],
        stage="won",
        currency="JPY",
        amount=Decimal(0),
        owner=sales,
    )
    session.add_all([web, project])
    session.commit()
    contract = milestones.create_contract(
        web,
        [
            {"kind": "deposit", "name": "着手金", "percent": "30"},
            {"kind": "milestone", "name": "設計完了", "percent": "30"},
            {"kind": "milestone", "name": "実装完了", "amount": "600000"},
            {"kind": "final", "name": "検収", "percent": "20"},
        ],
        sales,
    )
    deposit, design = contract.parts[0], contract.parts[1]
    milestones.invoice(deposit, accounting)
    milestones.mark_done(design, sales)
    milestones.approve_delivery(design, approver)
    milestones.invoice(design, accounting)

    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    last_month_start = last_month_end.replace(day=1)
    work = [("要件ヒアリング", "3"), ("障害調査", "5.5"), ("パッチ適用", "2"), ("月次報告", "1.5")]
    for index, (what, hours) in enumerate(work):
        entry = tm.enter(
            sales,
            deal=project,
            work_date=last_month_start + dt.timedelta(days=3 + index * 6),
            hours=hours,
            rate="12000",
            description=what,
        )
        tm.approve(entry, accounting)
    tm.invoice_period(project, last_month_start, last_month_end, accounting)
    waiting = tm.enter(
        sales, deal=project, work_date=today, hours="4", rate="12000", description="定例会議"
    )
    rejected = tm.enter(
        sales, deal=project, work_date=today, hours="8", rate="12000", description="社内研修"
    )
    tm.reject(rejected, accounting, "社内作業は請求対象外です。")
    assert waiting.state == "pending"
    return {"milestone_contracts": 1, "time_entries": len(work) + 2}
