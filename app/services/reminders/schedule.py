"""What goes out today, and why: the preview (a dry run) and the daily run.

"Today" is the calendar day in Asia/Tokyo: a run at 15:00 UTC is already the next day
there. Only invoices that are sent or partially paid are reminded: paid, disputed,
written off and void ones stop at once (they are not even read), and ``send`` checks
again under the invoice's lock just before the message leaves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from app.extensions import db
from app.models.documents import Document
from app.models.reminders import STEP_LIMIT, Reminder, ReminderRule
from app.services.documents import payments
from app.services.documents.lifecycle import OVERDUE_STATES
from app.services.reminders import followups, rules
from app.services.sync.clock import business_today

REMINDABLE = OVERDUE_STATES  # sent, partially paid
# The launcher (app.services.launchers) of jobs.reminders.send_reminders_now_job.
SEND_NOW_JOB = "send_reminders_now"


@dataclass
class Planned:
    """One invoice's reminder for today: its rule and step, the balance, the recipient,
    and why it is held (None: it goes out) or whether it retries a failed send."""

    document: Document
    rule: ReminderRule
    days: int  # today − due date
    balance: Decimal
    recipient: str | None
    held: str | None = None
    retry: bool = False

    @property
    def step(self) -> int:
        return self.rule.days


def today_in_tokyo(now: dt.datetime | None = None) -> dt.date:
    """The business day of ``now`` (naive means UTC)."""
    return business_today(now)


def _open_invoices(session, today: dt.date) -> list[Document]:
    return (
        session.query(Document)
        .filter(
            Document.kind == "invoice",
            Document.state.in_(REMINDABLE),
            Document.due_date.isnot(None),
            Document.due_date >= today - dt.timedelta(days=STEP_LIMIT),
            Document.due_date <= today + dt.timedelta(days=STEP_LIMIT),
        )
        .order_by(Document.due_date, Document.id)
        .all()
    )


def plan(today: dt.date, session=None) -> list[Planned]:
    """Every reminder due on ``today``, held ones included with the reason; sends nothing."""
    session = session or db.session
    invoices = _open_invoices(session, today)
    # No early return when nothing is open: the same statements whatever the count, so
    # the home page's tile costs a fixed number of them.
    grouped = rules.active_rules(session)
    held = followups.holds(today, session)
    ids = [d.id for d in invoices]
    taken = {
        (document_id, step): state
        for document_id, step, state in session.query(
            Reminder.document_id, Reminder.step, Reminder.state
        ).filter(Reminder.document_id.in_(ids))
    }
    balances = payments.balances(session, invoices)
    planned = []
    for invoice in invoices:
        days = (today - invoice.due_date).days
        rule = rules.due_rule(rules.rules_for(invoice.company_id, grouped), days, invoice.state)
        if rule is None:
            continue
        state = taken.get((invoice.id, rule.days))
        if state is not None and state != "failed":
            continue  # this step went out (or is on its way): never twice
        balance = balances.get(invoice.id, invoice.total)
        if balance <= 0:
            continue
        recipient = (invoice.recipient_email or "").strip() or None
        reason = held.reason(invoice)
        if reason is None and recipient is None:
            from flask_babel import gettext as _

            reason = _("The invoice has no recipient email.")
        planned.append(
            Planned(invoice, rule, days, balance, recipient, held=reason, retry=state == "failed")
        )
    return planned


def run(now: dt.datetime | None = None, user=None) -> dict[str, int]:
    """Send every reminder due today (Tokyo) that is not held; returns counts by outcome.

    Safe to run at the same time as another run, again after a restart, or as a retry:
    each step is claimed once (send.claim), and a failed send is sent again once.
    """
    from app.services.reminders import send

    today = today_in_tokyo(now)
    counts: dict[str, int] = {}
    for planned in plan(today):
        if planned.held:
            counts["held"] = counts.get("held", 0) + 1
            continue
        reminder = send.claim(planned, today, user)
        outcome = "taken" if reminder is None else send.deliver(reminder, today, user)
        counts[outcome] = counts.get(outcome, 0) + 1
    db.session.commit()
    return counts
