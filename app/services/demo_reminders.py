"""The demo's payment reminders: the default rule set, one customer's own rules, two
invoices whose reminder is due today, a reminder sent earlier, and a promise to pay —
so the preview page and the follow-up list have something to show."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.models.crm import Company
from app.models.documents import Document
from app.models.reminders import FollowUpNote, Reminder, ReminderRule
from app.services.reminders.rules import ensure_default_rules


def load_demo_reminders(session, today: dt.date) -> dict[str, int]:
    """Rules, a sent reminder, a promise, and due dates set so reminders are due today."""
    ensure_default_rules(session)
    if session.query(Reminder).count() or session.query(FollowUpNote).count():
        return {}
    from flask import current_app

    from app.services.documents import approvals, issuing, lifecycle

    accounting = current_app.appbuilder.sm.find_user(username="accounting")
    companies = session.query(Company).order_by(Company.code).all()
    open_invoices = (
        session.query(Document)
        .filter(Document.kind == "invoice", Document.state.in_(("sent", "partially_paid")))
        .order_by(Document.id)
        .all()
    )
    if len(companies) < 3 or not open_invoices:
        return {}

    def sent_invoice(company, due, price, what):
        invoice = issuing.new_document(
            "invoice",
            company,
            user=accounting,
            lines=[
                {
                    "name": what,
                    "unit_price": Decimal(price),
                    "quantity": Decimal(1),
                    "tax_rate": "standard_10",
                }
            ],
            issue_date=due - dt.timedelta(days=30),
            due_date=due,
        )
        approvals.submit(invoice, accounting)
        lifecycle.move(invoice, "sent")
        session.commit()
        return invoice

    # Two invoices whose reminder is due today: a week overdue, and due in three days.
    week = sent_invoice(companies[0], today - dt.timedelta(days=7), "88000", "保守サービス（月額）")
    sent_invoice(companies[1], today + dt.timedelta(days=3), "132000", "導入支援（追加作業）")
    overdue = [
        d for d in open_invoices if d.due_date and d.due_date <= today - dt.timedelta(days=7)
    ]
    promised = (overdue or open_invoices)[0]
    # A reminder that went out on the due day, shown on the follow-up list.
    sent_at = dt.datetime.combine(week.due_date, dt.time(0, 5))
    session.add(
        Reminder(
            document=week,
            company_id=week.company_id,
            step=0,
            rule_name="On the due date",
            state="sent",
            business_day=week.due_date,
            recipient=week.recipient_email,
            subject=f"【本日お支払期限】{week.number}",
            body="(demo)",
            balance=week.total,
            currency=week.currency,
            attempts=1,
            claimed_at=sent_at,
            sent_at=sent_at,
        )
    )
    # A customer who promised to pay: its reminders are held until the day passes.
    session.add(
        FollowUpNote(
            company_id=promised.company_id,
            document=promised,
            kind="promise",
            note="経理ご担当者様より電話：来週中にお振込みいただけるとのこと。",
            promised_on=today + dt.timedelta(days=5),
        )
    )
    # One customer with rules of its own: a reminder two weeks after the due date only.
    own = session.query(Company).order_by(Company.code.desc()).first()
    session.add(ReminderRule(name="2週間後のみ（個別設定）", company=own, days=14))
    session.commit()
    return {"reminders": 1, "follow_up_notes": 1}
